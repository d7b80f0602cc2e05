package sql

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Dialect names, as Store.Dialect reports them.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// sqliteBusyTimeout is how long, in milliseconds, a SQLite connection waits
// for another connection's write lock before it gives up with SQLITE_BUSY.
const sqliteBusyTimeout = 10000

// migrationLockKey is the PostgreSQL advisory lock that serialises
// migrations between processes: "slipway" in ASCII.
const migrationLockKey = 0x736c6970776179

// dialect is what differs between the databases the engine speaks.
type dialect struct {
	name string
	// numbered says placeholders are $1, $2, … rather than ?.
	numbered bool
	// timestamp is the column type of a point in time.
	timestamp string
	// updatedAt is the updated_at column as a sort expression whose NULL
	// sorts before every time.
	updatedAt string
	// docField returns a sort expression for a top-level field of the
	// document. A missing or null field sorts before every value.
	docField func(field string) string
	// lockMigrations takes a lock that serialises migrations across
	// processes until tx ends.
	lockMigrations func(ctx context.Context, tx *stdsql.Tx) error
}

var sqlite = &dialect{
	name:      DialectSQLite,
	timestamp: "TIMESTAMP",
	updatedAt: "COALESCE(updated_at, '')",
	docField: func(field string) string {
		// -9e999 is minus infinity, below every number and so below every
		// text and JSON value too.
		return "COALESCE(json_extract(doc, '$." + field + "'), -9e999)"
	},
	// Transactions begin IMMEDIATE (see sqliteDSN), which already locks
	// the database against other writers.
	lockMigrations: func(context.Context, *stdsql.Tx) error { return nil },
}

var postgres = &dialect{
	name:      DialectPostgres,
	numbered:  true,
	timestamp: "TIMESTAMPTZ",
	updatedAt: "COALESCE(updated_at, '-infinity'::timestamptz)",
	docField: func(field string) string {
		// jsonb orders null before strings, numbers, booleans, arrays and
		// objects.
		return "COALESCE(doc->'" + field + "', 'null'::jsonb)"
	},
	lockMigrations: func(ctx context.Context, tx *stdsql.Tx) error {
		_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrationLockKey))
		return err
	},
}

// rebind rewrites the ? placeholders of query into the dialect's. Queries
// written for rebind hold no ? other than placeholders.
func (d *dialect) rebind(query string) string {
	if !d.numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r != '?' {
			b.WriteRune(r)
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// openDB opens the database dsn names, configured for the engine, and
// returns it with its dialect.
func openDB(dsn string) (*stdsql.DB, *dialect, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, nil, fmt.Errorf("parse postgres dsn: %w", err)
		}
		db := stdlib.OpenDB(*cfg)
		db.SetMaxIdleConns(8)
		return db, postgres, nil
	}
	path, pdsn, err := sqliteDSN(dsn)
	if err != nil {
		return nil, nil, err
	}
	db, err := stdsql.Open("sqlite", pdsn)
	if err != nil {
		return nil, nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if path == ":memory:" {
		// Every connection to :memory: is a database of its own.
		db.SetMaxOpenConns(1)
		return db, sqlite, nil
	}
	// SQLite has one writer at a time; more connections only serve more
	// concurrent readers.
	conns := max(4, runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	return db, sqlite, nil
}

// sqliteDSN turns a SQLite path, or sqlite://path, optionally followed by
// driver parameters, into the DSN of the modernc driver with the engine's
// settings:
//   - WAL, so that readers never block the writer nor the writer readers;
//   - a busy timeout, so that a writer waits for the write lock instead of
//     failing with SQLITE_BUSY;
//   - IMMEDIATE transactions, which take the write lock when they begin: a
//     deferred transaction that reads and then writes cannot wait for the
//     lock and fails with SQLITE_BUSY when another writer got there first;
//   - foreign keys, full sync for durability, and a time format that sorts.
//
// Parameters already in dsn win, except _txlock and _time_format, which the
// engine needs.
func sqliteDSN(dsn string) (path, driverDSN string, err error) {
	path, rawQuery, _ := strings.Cut(strings.TrimPrefix(dsn, "sqlite://"), "?")
	if path == "" {
		return "", "", fmt.Errorf("open sqlite: empty database path")
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", "", fmt.Errorf("parse sqlite dsn: %w", err)
	}
	for k, v := range map[string]string{
		"_busy_timeout": strconv.Itoa(sqliteBusyTimeout),
		"_journal_mode": "WAL",
		"_foreign_keys": "1",
		"_synchronous":  "FULL",
	} {
		if !q.Has(k) {
			q.Set(k, v)
		}
	}
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return path, path + "?" + q.Encode(), nil
}
