package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvAdminDSN is the environment variable holding the DSN of a PostgreSQL
// role that may create and drop databases, for example
// postgres://postgres@/postgres?host=/var/run/postgresql&sslmode=disable.
// hack/postgres-test.sh prints one for a local cluster.
const EnvAdminDSN = "SLIPWAY_TEST_POSTGRES"

// DSN creates an empty database with a random name and returns its DSN. The
// database is dropped when the test ends, after the test's own cleanups,
// even if connections to it are still open. When EnvAdminDSN is unset, DSN
// skips the test.
func DSN(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvAdminDSN)
	if admin == "" {
		t.Skip(EnvAdminDSN + " is unset; run hack/postgres-test.sh to get a PostgreSQL DSN")
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvAdminDSN, err)
	}
	suffix := make([]byte, 8)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	name := "slipway_test_" + hex.EncodeToString(suffix)
	ident := pgx.Identifier{name}.Sanitize()

	adminExec(t, admin, "CREATE DATABASE "+ident)
	t.Cleanup(func() { adminExec(t, admin, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)") })

	u.Path = "/" + name
	q := u.Query()
	q.Del("dbname")
	u.RawQuery = q.Encode()
	return u.String()
}

// adminExec runs one statement on the admin connection. It does not use the
// test's context, which is already cancelled when cleanups run.
func adminExec(t testing.TB, admin, stmt string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to %s: %v", EnvAdminDSN, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}
