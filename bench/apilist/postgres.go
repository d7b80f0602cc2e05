package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
)

// database is a PostgreSQL database made for one benchmark run.
type database struct {
	// DSN is the URL of the database.
	DSN   string
	name  string
	admin string
}

// createDatabase creates an empty database with a random name through the
// PostgreSQL role that the URL admin names.
func createDatabase(ctx context.Context, admin string) (*database, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return nil, fmt.Errorf("parse -db: %w", err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	name := "slipway_bench_" + hex.EncodeToString(b)
	if err := adminExec(ctx, admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, err
	}
	u.Path = "/" + name
	q := u.Query()
	q.Del("dbname")
	u.RawQuery = q.Encode()
	return &database{DSN: u.String(), name: name, admin: admin}, nil
}

// Drop drops the database, even while connections to it are open.
func (d *database) Drop() error {
	// The caller's context may be cancelled by now.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return adminExec(ctx, d.admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.name}.Sanitize()+" WITH (FORCE)")
}

// BackendCPU returns the CPU time used so far by the PostgreSQL backends
// that serve the database, the server's share of the database's work, and
// their process ids. A backend that exits takes its time with it, so two
// readings compare only when they name the same backends.
func (d *database) BackendCPU(ctx context.Context) (time.Duration, []int32, error) {
	conn, err := pgx.Connect(ctx, d.admin)
	if err != nil {
		return 0, nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE datname = $1 ORDER BY pid", d.name)
	if err != nil {
		return 0, nil, fmt.Errorf("list the backends of %s: %w", d.name, err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return 0, nil, fmt.Errorf("list the backends of %s: %w", d.name, err)
	}
	var total time.Duration
	for _, pid := range pids {
		// A backend may exit between the query and the read.
		if t, err := cpuTime(int(pid)); err == nil {
			total += t
		}
	}
	return total, pids, nil
}

// adminExec runs one statement on a connection of its own to admin.
func adminExec(ctx context.Context, admin, stmt string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}
