CREATE TABLE objects (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    uuid       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL DEFAULT '',
    project_id TEXT NOT NULL DEFAULT '',
    parent     TEXT NOT NULL DEFAULT '',
    ref        TEXT NOT NULL DEFAULT '',
    revision   INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP,
    doc        TEXT NOT NULL CHECK (json_valid(doc))
);

CREATE INDEX objects_kind_id ON objects (kind, id);
CREATE INDEX objects_kind_project ON objects (kind, project_id, id);
CREATE INDEX objects_kind_parent ON objects (kind, parent);
CREATE INDEX objects_kind_ref ON objects (kind, ref);
CREATE INDEX objects_kind_name ON objects (kind, name);

CREATE TABLE secrets (
    name       TEXT PRIMARY KEY,
    ciphertext BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL
);
