package sql_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/secrets"
	"github.com/slipway/slipway/internal/store"
	storesql "github.com/slipway/slipway/internal/store/sql"
	"github.com/slipway/slipway/internal/store/sql/pgtest"
	"github.com/slipway/slipway/internal/store/storetest"
)

func newBox(t testing.TB) *secrets.Box {
	t.Helper()
	key, err := secrets.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

func open(t *testing.T, dsn string) *storesql.Store {
	t.Helper()
	s, err := storesql.Open(t.Context(), dsn, newBox(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func openSQLite(t *testing.T) *storesql.Store {
	return open(t, filepath.Join(t.TempDir(), "slipway.db"))
}

func openPostgres(t *testing.T) *storesql.Store {
	return open(t, pgtest.DSN(t))
}

func TestConformanceSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openSQLite(t) })
}

func TestConformancePostgres(t *testing.T) {
	t.Parallel()
	if os.Getenv(pgtest.EnvAdminDSN) == "" {
		t.Skip(pgtest.EnvAdminDSN + " is unset")
	}
	storetest.Run(t, func(t *testing.T) store.Store { return openPostgres(t) })
}

func TestDialect(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		dsn  func(t *testing.T) string
		want string
	}{
		{"sqlite path", func(t *testing.T) string { return filepath.Join(dir, "a.db") }, storesql.DialectSQLite},
		{"sqlite url", func(t *testing.T) string { return "sqlite://" + filepath.Join(dir, "b.db") }, storesql.DialectSQLite},
		{"sqlite with parameters", func(t *testing.T) string {
			return filepath.Join(dir, "c.db") + "?_pragma=cache_size(-4000)&_txlock=deferred"
		}, storesql.DialectSQLite},
		{"sqlite in memory", func(t *testing.T) string { return ":memory:" }, storesql.DialectSQLite},
		{"postgres", func(t *testing.T) string { return pgtest.DSN(t) }, storesql.DialectPostgres},
		{"postgresql", func(t *testing.T) string {
			return "postgresql://" + strings.TrimPrefix(pgtest.DSN(t), "postgres://")
		}, storesql.DialectPostgres},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t, tc.dsn(t))
			if got := s.Dialect(); got != tc.want {
				t.Errorf("Dialect() = %q, want %q", got, tc.want)
			}
			if err := s.Ping(t.Context()); err != nil {
				t.Fatal(err)
			}
			// The schema is there and usable through the shared DB.
			var n int
			if err := s.DB().QueryRowContext(t.Context(), "SELECT COUNT(*) FROM slipway_migrations").Scan(&n); err != nil || n == 0 {
				t.Fatalf("slipway_migrations holds %d rows (%v), want the applied migrations", n, err)
			}
			create(t, s, &model.Project{Name: "p", Enabled: true})
		})
	}
}

func create(t *testing.T, w store.Writer, obj model.Object) {
	t.Helper()
	if err := w.Create(t.Context(), obj); err != nil {
		t.Fatalf("Create %s: %v", obj.Kind(), err)
	}
}

func TestOpenTwiceKeepsData(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "slipway.db")
	key, err := secrets.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := storesql.Open(t.Context(), path, box)
	if err != nil {
		t.Fatal(err)
	}
	p := &model.Project{Name: "kept", Enabled: true}
	create(t, s, p)
	if err := s.PutSecret(t.Context(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path)
	if _, err := store.Get[model.Project](t.Context(), s, p.UUID); err != nil {
		t.Fatalf("project after reopening: %v", err)
	}
	// Another key cannot open the secret.
	if _, err := s.GetSecret(t.Context(), "k"); !errors.Is(err, secrets.ErrDecrypt) {
		t.Fatalf("GetSecret under another key = %v, want secrets.ErrDecrypt", err)
	}
	s2, err := storesql.Open(t.Context(), path, box)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, err := s2.GetSecret(t.Context(), "k"); err != nil || string(got) != "v" {
		t.Fatalf("GetSecret under the same key = %q, %v", got, err)
	}
}

func TestOpenWithoutBox(t *testing.T) {
	t.Parallel()
	s, err := storesql.Open(t.Context(), filepath.Join(t.TempDir(), "slipway.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.PutSecret(t.Context(), "k", []byte("v")); err == nil {
		t.Fatal("PutSecret without a key succeeded")
	}
	create(t, s, &model.Project{Name: "objects still work"})
}

func TestOpenFails(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{
		filepath.Join(t.TempDir(), "no", "such", "dir", "slipway.db"),
		"",
		"postgres://nobody@/nodb?host=" + t.TempDir() + "&connect_timeout=2",
	} {
		if s, err := storesql.Open(t.Context(), dsn, nil); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", dsn)
		}
	}
}

// TestSecretsEncryptedOnDisk writes a private key as a secret and reads every
// file of the SQLite database back from disk: the plaintext is in none.
func TestSecretsEncryptedOnDisk(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, filepath.Join(dir, "slipway.db"))
	const marker = "MIIEpAIBAAKCAQEAslipwaySecretMarker"
	plaintext := []byte("-----BEGIN RSA PRIVATE KEY-----\n" + marker + "\n-----END RSA PRIVATE KEY-----\n")
	ctx := t.Context()
	if err := s.PutSecret(ctx, "cluster/x/ca.key", plaintext); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetSecret(ctx, "cluster/x/ca.key"); err != nil || !bytes.Equal(got, plaintext) {
		t.Fatalf("GetSecret = %q, %v", got, err)
	}

	check := func(when string) {
		t.Helper()
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var sawWAL bool
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			sawWAL = sawWAL || strings.HasSuffix(e.Name(), "-wal") && len(data) > 0
			for _, needle := range []string{"BEGIN RSA PRIVATE KEY", marker} {
				if bytes.Contains(data, []byte(needle)) {
					t.Errorf("%s: %s holds the plaintext %q", when, e.Name(), needle)
				}
			}
		}
		if when == "before checkpoint" && !sawWAL {
			t.Errorf("%s: no write-ahead log on disk; is WAL mode on?", when)
		}
	}
	check("before checkpoint")
	// Fold the log into the main file, then look again.
	if _, err := s.DB().ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	check("after checkpoint")
}

// TestSQLiteConcurrency runs writers and readers on many goroutines for a
// second against one SQLite file: SQLITE_BUSY must never surface.
func TestSQLiteConcurrency(t *testing.T) {
	t.Parallel()
	s := openSQLite(t)
	ctx := t.Context()
	const workers = 8
	deadline := time.Now().Add(time.Second)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	var ops [workers]int
	for w := range workers {
		wg.Go(func() {
			project := string(rune('a' + w))
			for time.Now().Before(deadline) {
				c := &model.Cluster{Name: "c", ProjectID: project, Labels: map[string]string{}}
				if err := s.Create(ctx, c); err != nil {
					errs <- err
					return
				}
				c.Status = model.CreateComplete
				if err := s.Update(ctx, c); err != nil {
					errs <- err
					return
				}
				if _, err := s.List(ctx, model.KindCluster, store.Query{ProjectID: project, SortKey: "status", Limit: 5}); err != nil {
					errs <- err
					return
				}
				if err := s.InTx(ctx, func(tx store.Writer) error {
					got, err := store.Get[model.Cluster](ctx, tx, c.UUID)
					if err != nil {
						return err
					}
					got.StatusReason = "checked"
					if err := tx.Update(ctx, got); err != nil {
						return err
					}
					return tx.PutSecret(ctx, "cluster/"+c.UUID+"/ca.key", []byte("k"))
				}); err != nil {
					errs <- err
					return
				}
				if _, err := s.Count(ctx, model.KindCluster, store.Query{}); err != nil {
					errs <- err
					return
				}
				ops[w]++
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	total := 0
	for _, n := range ops {
		total += n
	}
	n, err := s.Count(ctx, model.KindCluster, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if n != total {
		t.Errorf("store holds %d clusters, want the %d created", n, total)
	}
	t.Logf("%d rounds of create/update/list/tx/count by %d goroutines", total, workers)
}

// TestParallelOpen opens one fresh database from several goroutines at
// once, as several slipway processes starting together do: every Open
// succeeds and each migration is applied once.
func TestParallelOpen(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "slipway.db") }},
		{"postgres", func(t *testing.T) string { return pgtest.DSN(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			parallelOpen(t, tc.dsn(t))
		})
	}
}

func parallelOpen(t *testing.T, dsn string) {
	const n = 4
	stores := make([]*storesql.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = storesql.Open(t.Context(), dsn, newBox(t)) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open #%d: %v", i, errs[i])
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		return
	}
	var applied, distinct int
	if err := stores[0].DB().QueryRowContext(t.Context(),
		"SELECT COUNT(*), COUNT(DISTINCT version) FROM slipway_migrations").Scan(&applied, &distinct); err != nil {
		t.Fatal(err)
	}
	if applied != distinct {
		t.Errorf("slipway_migrations holds %d rows for %d versions: a migration ran twice", applied, distinct)
	}
	for i, s := range stores {
		create(t, s, &model.Project{Name: "from-" + string(rune('a'+i))})
	}
}
