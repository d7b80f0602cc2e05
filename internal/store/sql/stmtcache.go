package sql

import (
	"context"
	stdsql "database/sql"
	"sync"
)

// maxCachedStmts bounds the statement cache. Query texts come from a small
// set, except that a list sorted by a document field splices the field's
// name in; past the bound, queries run unprepared.
const maxCachedStmts = 256

// stmtCache keeps one prepared statement per query text on a database.
// database/sql prepares each on the pool's connections as they use it.
type stmtCache struct {
	db     *stdsql.DB
	mu     sync.RWMutex
	m      map[string]*stdsql.Stmt
	closed bool
}

func newStmtCache(db *stdsql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*stdsql.Stmt{}}
}

// lookup returns the statement of query if it is cached.
func (c *stmtCache) lookup(query string) *stdsql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[query]
}

// get returns the statement of query, preparing it when missing. It
// returns nil, and no error, when the cache is full or closed: the caller
// then runs the query as text.
func (c *stmtCache) get(ctx context.Context, query string) (*stdsql.Stmt, error) {
	if st := c.lookup(query); st != nil {
		return st, nil
	}
	c.mu.RLock()
	full := c.closed || len(c.m) >= maxCachedStmts
	c.mu.RUnlock()
	if full {
		return nil, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev := c.m[query]; prev != nil {
		// Another goroutine prepared it meanwhile.
		_ = st.Close()
		return prev, nil
	}
	if c.closed || len(c.m) >= maxCachedStmts {
		_ = st.Close()
		return nil, nil
	}
	c.m[query] = st
	return st, nil
}

// close closes every cached statement; later queries run as text.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for q, st := range c.m {
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
		delete(c.m, q)
	}
	c.closed = true
	return first
}

// dbQuerier runs queries on the database through cached statements.
type dbQuerier struct{ c *stmtCache }

func (d dbQuerier) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	st, err := d.c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return d.c.db.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (d dbQuerier) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	st, err := d.c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return d.c.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (d dbQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *stdsql.Row {
	st, err := d.c.get(ctx, query)
	if err != nil || st == nil {
		// A preparation error comes back from the query itself.
		return d.c.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// txQuerier runs queries in a transaction, through the database's cached
// statements when there are. It never prepares on the database: the
// transaction may hold its only connection (:memory:). The transaction
// closes the statements it binds when it ends.
type txQuerier struct {
	tx *stdsql.Tx
	c  *stmtCache
}

func (t txQuerier) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	if st := t.c.lookup(query); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t txQuerier) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	if st := t.c.lookup(query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t txQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *stdsql.Row {
	if st := t.c.lookup(query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}
