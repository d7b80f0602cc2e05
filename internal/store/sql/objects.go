package sql

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/secrets"
	"github.com/slipway/slipway/internal/store"
)

// querier is what the engine needs of a *sql.DB or a *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *stdsql.Row
}

// writer implements store.Writer over a database or a transaction.
type writer struct {
	q   querier
	d   *dialect
	box *secrets.Box
	// s is the store, on the writer of the store itself; nil in a
	// transaction.
	s *Store
	// written collects the kinds a transaction wrote, whose generations
	// it bumps when it commits; nil outside a transaction.
	written map[model.Kind]bool
}

// write runs fn, which writes objects of kind, so that the kind's
// generation is bumped in the same transaction: outside a transaction it
// runs in one of its own.
func (w *writer) write(ctx context.Context, kind model.Kind, fn func(w *writer) error) error {
	if w.written == nil {
		return w.s.inTx(ctx, func(tx *writer) error { return tx.write(ctx, kind, fn) })
	}
	if err := fn(w); err != nil {
		return err
	}
	w.written[kind] = true
	return nil
}

var _ store.Writer = (*writer)(nil)

// recordColumns are the columns scanRecord reads, in its order.
const recordColumns = "id, uuid, revision, created_at, updated_at, doc"

// sortKeyRE is what a document field named as a sort key must look like.
// The field is spliced into SQL, so nothing else is accepted.
var sortKeyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// Get loads the object of obj's kind whose UUID is id into obj.
func (w *writer) Get(ctx context.Context, id string, obj model.Object) error {
	row := w.q.QueryRowContext(ctx,
		w.d.rebind("SELECT "+recordColumns+" FROM objects WHERE kind = ? AND uuid = ?"),
		string(obj.Kind()), id)
	if err := w.scanInto(row, obj); err != nil {
		return fmt.Errorf("get %s %s: %w", obj.Kind(), id, err)
	}
	return nil
}

// GetByID loads the object of obj's kind whose row id is id into obj.
func (w *writer) GetByID(ctx context.Context, id int64, obj model.Object) error {
	row := w.q.QueryRowContext(ctx,
		w.d.rebind("SELECT "+recordColumns+" FROM objects WHERE kind = ? AND id = ?"),
		string(obj.Kind()), id)
	if err := w.scanInto(row, obj); err != nil {
		return fmt.Errorf("get %s #%d: %w", obj.Kind(), id, err)
	}
	return nil
}

func (w *writer) scanInto(row *stdsql.Row, obj model.Object) error {
	rec, err := scanRecord(row)
	if errors.Is(err, stdsql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	return store.Decode(rec, obj)
}

// List returns the records of kind that match q, in q's order. Pages are
// keyset pages: the next page holds what sorts after the marker's (sort
// value, id), so objects created or deleted meanwhile neither shift nor
// repeat it.
func (w *writer) List(ctx context.Context, kind model.Kind, q store.Query) ([]store.Record, error) {
	recs, err := w.list(ctx, kind, q)
	if err != nil {
		return nil, fmt.Errorf("list %ss: %w", kind, err)
	}
	return recs, nil
}

func (w *writer) list(ctx context.Context, kind model.Kind, q store.Query) ([]store.Record, error) {
	sortExpr, err := w.d.sortExpr(q.SortKey)
	if err != nil {
		return nil, err
	}
	if q.Limit < 0 {
		return nil, model.Invalidf("limit must not be negative, got %d", q.Limit)
	}
	where, args := filters(kind, q)
	cmp, dir := ">", "ASC"
	if q.SortDesc {
		cmp, dir = "<", "DESC"
	}
	if q.Marker != "" {
		var markerID int64
		err := w.q.QueryRowContext(ctx,
			w.d.rebind("SELECT id FROM objects WHERE kind = ? AND uuid = ?"),
			string(kind), q.Marker).Scan(&markerID)
		if errors.Is(err, stdsql.ErrNoRows) {
			return nil, fmt.Errorf("marker %s: %w", q.Marker, store.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("marker %s: %w", q.Marker, err)
		}
		if sortExpr == "id" {
			where += " AND id " + cmp + " ?"
		} else {
			where += " AND (" + sortExpr + ", id) " + cmp +
				" (SELECT " + sortExpr + ", id FROM objects WHERE id = ?)"
		}
		args = append(args, markerID)
	}
	query := "SELECT " + recordColumns + " FROM objects WHERE " + where + " ORDER BY "
	if sortExpr != "id" {
		query += sortExpr + " " + dir + ", "
	}
	query += "id " + dir
	if q.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, q.Limit)
	}

	rows, err := w.q.QueryContext(ctx, w.d.rebind(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var recs []store.Record
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, rows.Err()
}

// Count returns how many objects of kind match q's filters.
func (w *writer) Count(ctx context.Context, kind model.Kind, q store.Query) (int, error) {
	where, args := filters(kind, q)
	var n int
	err := w.q.QueryRowContext(ctx, w.d.rebind("SELECT COUNT(*) FROM objects WHERE "+where), args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count %ss: %w", kind, err)
	}
	return n, nil
}

// Create stores a new object and fills in its Meta: a new UUID unless it
// has one, the row id, revision 1 and the creation time. An object with the
// same UUID gives store.ErrExists.
func (w *writer) Create(ctx context.Context, obj model.Object) error {
	kind, meta := obj.Kind(), obj.GetMeta()
	id := meta.UUID
	if id == "" {
		id = uuid.NewString()
	}
	doc, err := store.Encode(obj)
	if err != nil {
		return fmt.Errorf("create %s %s: encode: %w", kind, id, err)
	}
	created := now()
	ix := obj.Index()
	var rowID int64
	err = w.write(ctx, kind, func(w *writer) error {
		return w.q.QueryRowContext(ctx, w.d.rebind(`INSERT INTO objects
    (kind, uuid, name, project_id, parent, ref, revision, created_at, doc)
VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)
ON CONFLICT (uuid) DO NOTHING
RETURNING id`),
			string(kind), id, ix.Name, ix.ProjectID, ix.Parent, ix.Ref, created, string(doc),
		).Scan(&rowID)
	})
	if errors.Is(err, stdsql.ErrNoRows) {
		return fmt.Errorf("create %s %s: %w", kind, id, store.ErrExists)
	}
	if err != nil {
		return fmt.Errorf("create %s %s: %w", kind, id, err)
	}
	*meta = model.Meta{ID: rowID, UUID: id, Revision: 1, CreatedAt: created}
	return nil
}

// Update stores obj, found by kind and UUID, if its Meta.Revision is the
// stored revision; the index columns follow obj.Index(). It bumps the
// revision and sets UpdatedAt. A stale revision gives
// store.ErrRevisionMismatch and a missing object store.ErrNotFound.
func (w *writer) Update(ctx context.Context, obj model.Object) error {
	kind, meta := obj.Kind(), obj.GetMeta()
	doc, err := store.Encode(obj)
	if err != nil {
		return fmt.Errorf("update %s %s: encode: %w", kind, meta.UUID, err)
	}
	updated := now()
	ix := obj.Index()
	var rowID, revision int64
	err = w.write(ctx, kind, func(w *writer) error {
		err := w.q.QueryRowContext(ctx, w.d.rebind(`UPDATE objects
SET name = ?, project_id = ?, parent = ?, ref = ?, doc = ?,
    revision = revision + 1, updated_at = ?
WHERE kind = ? AND uuid = ? AND revision = ?
RETURNING id, revision`),
			ix.Name, ix.ProjectID, ix.Parent, ix.Ref, string(doc), updated,
			string(kind), meta.UUID, meta.Revision,
		).Scan(&rowID, &revision)
		if errors.Is(err, stdsql.ErrNoRows) {
			err = w.whyNotUpdated(ctx, kind, meta)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("update %s %s: %w", kind, meta.UUID, err)
	}
	meta.ID, meta.Revision, meta.UpdatedAt = rowID, revision, &updated
	return nil
}

// whyNotUpdated tells a stale revision from a missing object.
func (w *writer) whyNotUpdated(ctx context.Context, kind model.Kind, meta *model.Meta) error {
	var stored int64
	err := w.q.QueryRowContext(ctx,
		w.d.rebind("SELECT revision FROM objects WHERE kind = ? AND uuid = ?"),
		string(kind), meta.UUID).Scan(&stored)
	switch {
	case errors.Is(err, stdsql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return err
	}
	return fmt.Errorf("revision %d, stored %d: %w", meta.Revision, stored, store.ErrRevisionMismatch)
}

// Delete removes the object of kind with the UUID id.
func (w *writer) Delete(ctx context.Context, kind model.Kind, id string) error {
	err := w.write(ctx, kind, func(w *writer) error {
		res, err := w.q.ExecContext(ctx,
			w.d.rebind("DELETE FROM objects WHERE kind = ? AND uuid = ?"), string(kind), id)
		if err == nil {
			err = oneRow(res)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", kind, id, err)
	}
	return nil
}

func oneRow(res stdsql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// DeleteWhere removes every object of kind matching q's filters and returns
// how many it removed. Sorting, marker and limit do not apply.
func (w *writer) DeleteWhere(ctx context.Context, kind model.Kind, q store.Query) (int, error) {
	where, args := filters(kind, q)
	var n int64
	err := w.write(ctx, kind, func(w *writer) error {
		res, err := w.q.ExecContext(ctx, w.d.rebind("DELETE FROM objects WHERE "+where), args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete %ss: %w", kind, err)
	}
	return int(n), nil
}

// filters returns the WHERE condition, with ? placeholders, and its
// arguments for kind and q's filters.
func filters(kind model.Kind, q store.Query) (string, []any) {
	var b strings.Builder
	b.WriteString("kind = ?")
	args := []any{string(kind)}
	for _, f := range []struct{ column, value string }{
		{"project_id", q.ProjectID},
		{"parent", q.Parent},
		{"ref", q.Ref},
		{"name", q.Name},
	} {
		if f.value != "" {
			b.WriteString(" AND " + f.column + " = ?")
			args = append(args, f.value)
		}
	}
	return b.String(), args
}

// sortExpr returns the SQL expression that orders by key: a column, or a
// top-level field of the document.
func (d *dialect) sortExpr(key string) (string, error) {
	switch key {
	case "", "id":
		return "id", nil
	case "uuid", "name", "project_id", "created_at":
		return key, nil
	case "updated_at":
		return d.updatedAt, nil
	}
	if !sortKeyRE.MatchString(key) {
		return "", model.Invalidf("invalid sort key %q", key)
	}
	return d.docField(key), nil
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}

// scanRecord reads the recordColumns of one row.
func scanRecord(row rowScanner) (store.Record, error) {
	var (
		rec     store.Record
		updated stdsql.NullTime
	)
	if err := row.Scan(&rec.Meta.ID, &rec.Meta.UUID, &rec.Meta.Revision,
		&rec.Meta.CreatedAt, &updated, &rec.Doc); err != nil {
		return store.Record{}, err
	}
	rec.Meta.CreatedAt = rec.Meta.CreatedAt.UTC()
	if updated.Valid {
		t := updated.Time.UTC()
		rec.Meta.UpdatedAt = &t
	}
	return rec, nil
}
