package sql

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"

	"github.com/slipway/slipway/internal/secrets"
	"github.com/slipway/slipway/internal/store"
)

// Store is a store.Store over a SQLite or PostgreSQL database. It is safe
// for concurrent use.
type Store struct {
	writer
	db *stdsql.DB
}

var _ store.Store = (*Store)(nil)

// Open connects to the database dsn names and brings its schema up to date.
// A dsn starting with postgres:// or postgresql:// is a PostgreSQL
// connection URL; anything else is the path of a SQLite database file,
// optionally prefixed with sqlite:// and followed by ?driver-parameters.
// The file is created when missing, but its directory must exist. The path
// :memory: gives a private in-memory database on a single connection, for
// tests; a function given to InTx must then not use the Store itself.
//
// box seals secrets; with a nil box the secret methods fail.
func Open(ctx context.Context, dsn string, box *secrets.Box) (*Store, error) {
	db, d, err := openDB(dsn)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s database: %w", d.name, err)
	}
	if err := migrate(ctx, db, d); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s database: %w", d.name, err)
	}
	return &Store{writer: writer{q: db, d: d, box: box}, db: db}, nil
}

// DB returns the underlying database, for components that keep their own
// tables in it, such as the work queue. Its SQLite connections begin every
// transaction IMMEDIATE.
func (s *Store) DB() *stdsql.DB { return s.db }

// Dialect returns DialectSQLite or DialectPostgres.
func (s *Store) Dialect() string { return s.d.name }

// InTx runs fn in one transaction: all of its writes land, or none do. fn
// must use the Writer it is given, not s. When fn returns an error or
// panics, the transaction rolls back and InTx returns that error or panics
// again. On SQLite the transaction holds the database's write lock from its
// start, so keep it short.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Writer) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			// After a failed fn or a panic; the error that matters is fn's.
			_ = tx.Rollback()
		}
	}()
	if err := fn(&writer{q: tx, d: s.d, box: s.box}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		if errors.Is(err, stdsql.ErrTxDone) && ctx.Err() != nil {
			err = ctx.Err()
		}
		return fmt.Errorf("commit transaction: %w", err)
	}
	committed = true
	return nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s database: %w", s.d.name, err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }
