package sql

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/secrets"
	"github.com/slipway/slipway/internal/store"
)

// Store is a store.Store over a SQLite or PostgreSQL database. It is safe
// for concurrent use.
type Store struct {
	writer
	db    *stdsql.DB
	stmts *stmtCache
	// writeGate, on SQLite, lets one of this process's transactions run at
	// a time. SQLite has a single writer, and its busy handler is not fair:
	// under load a writer that polls for the lock can lose it to newer ones
	// until its busy timeout runs out and it fails with SQLITE_BUSY. Queued
	// on the gate instead, writers take turns in order, and the busy
	// timeout is left for other processes on the same file. Nil on
	// PostgreSQL, whose writers lock rows, not the database.
	writeGate chan struct{}
}

var (
	_ store.Store       = (*Store)(nil)
	_ store.Generations = (*Store)(nil)
)

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
	s := &Store{db: db, stmts: newStmtCache(db)}
	if d == sqlite {
		s.writeGate = make(chan struct{}, 1)
	}
	s.writer = writer{q: dbQuerier{s.stmts}, d: d, box: box, s: s}
	// Prepared now, transactions find it in the cache.
	if _, err := s.stmts.get(ctx, d.rebind(bumpGeneration)); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s database: %w", d.name, err)
	}
	return s, nil
}

// bumpGeneration bumps the generation of a kind.
const bumpGeneration = `INSERT INTO generations (kind, gen) VALUES (?, 1)
ON CONFLICT (kind) DO UPDATE SET gen = generations.gen + 1`

// Generation returns the sum of the generations of kinds: a number that
// grows with every committed write of an object of one of them (Create,
// Update, Delete, DeleteWhere), in this process or another on the same
// database. An answer computed from those objects after reading the
// generation stays right while the generation is unchanged.
func (s *Store) Generation(ctx context.Context, kinds ...model.Kind) (int64, error) {
	if len(kinds) == 0 {
		return 0, nil
	}
	args := make([]any, len(kinds))
	for i, k := range kinds {
		args[i] = string(k)
	}
	q := "SELECT CAST(COALESCE(SUM(gen), 0) AS BIGINT) FROM generations WHERE kind IN (?" +
		strings.Repeat(", ?", len(kinds)-1) + ")"
	var g int64
	if err := s.q.QueryRowContext(ctx, s.d.rebind(q), args...).Scan(&g); err != nil {
		return 0, fmt.Errorf("read generation: %w", err)
	}
	return g, nil
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
// start, so keep it short; a write through s inside fn would wait for the
// very transaction it is part of.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Writer) error) error {
	return s.inTx(ctx, func(w *writer) error { return fn(w) })
}

// inTx runs fn in one transaction, as InTx does, and bumps the generations
// of the kinds fn wrote just before it commits, in kind order so that
// concurrent transactions take the rows' locks in one order.
func (s *Store) inTx(ctx context.Context, fn func(tx *writer) error) error {
	if s.writeGate != nil {
		select {
		case s.writeGate <- struct{}{}:
			defer func() { <-s.writeGate }()
		case <-ctx.Done():
			return fmt.Errorf("begin transaction: waiting for this process's other writers: %w", ctx.Err())
		}
	}
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
	w := &writer{q: txQuerier{tx: tx, c: s.stmts}, d: s.d, box: s.box, written: map[model.Kind]bool{}}
	if err := fn(w); err != nil {
		return err
	}
	kinds := slices.Sorted(maps.Keys(w.written))
	for _, k := range kinds {
		if _, err := w.q.ExecContext(ctx, s.d.rebind(bumpGeneration), string(k)); err != nil {
			return fmt.Errorf("bump generation of %s: %w", k, err)
		}
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
func (s *Store) Close() error {
	err := s.stmts.close()
	if cerr := s.db.Close(); cerr != nil {
		err = cerr
	}
	return err
}
