package main

import (
	"net/http"
	"testing"

	"github.com/slipway/slipway/internal/server/servertest"
	"github.com/slipway/slipway/internal/store/sql/pgtest"
)

// BenchmarkListClusters measures the requests of the apilist benchmark in
// process, one at a time over one keep-alive connection, with 1 000
// clusters stored. Its allocation figures do not depend on what else the
// machine runs, and its CPU time per request (cpu-ns/op, client included)
// depends less on it than wall time does, which makes it the tool to judge
// an optimisation with:
//
//	go test -run '^$' -bench ListClusters -benchmem -cpuprofile cpu.pprof ./bench/apilist
//
// The postgres half runs when SLIPWAY_TEST_POSTGRES is set (see
// hack/postgres-test.sh). go test runs no benchmark unless -bench asks.
func BenchmarkListClusters(b *testing.B) {
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			var dsn string
			if backend == "postgres" {
				dsn = pgtest.DSN(b)
			}
			benchmarkList(b, dsn, 1000)
		})
	}
}

func benchmarkList(b *testing.B, dsn string, n int) {
	ctx := b.Context()
	dir := b.TempDir()
	opts := servertest.Options{Database: dsn, DataDir: dir, NoDriver: true}
	env := servertest.Start(b, opts)
	api := &apiClient{base: env.URL, hc: &http.Client{Timeout: requestTimeout}}
	admin, err := api.login(ctx, "admin", servertest.AdminPassword, "admin")
	if err != nil {
		b.Fatal(err)
	}
	if err := api.createMember(ctx, admin, memberName, memberPassword, admin.ProjectID); err != nil {
		b.Fatal(err)
	}
	tmpl, err := api.createTemplate(ctx, admin)
	if err != nil {
		b.Fatal(err)
	}
	env.Stop()
	if err := seedClusters(ctx, dir, dsn, n, seedOwner{ProjectID: admin.ProjectID, UserID: admin.UserID}, tmpl.UUID); err != nil {
		b.Fatal(err)
	}
	env = servertest.Start(b, opts)
	api.base = env.URL
	if admin, err = api.login(ctx, "admin", servertest.AdminPassword, "admin"); err != nil {
		b.Fatal(err)
	}
	member, err := api.login(ctx, memberName, memberPassword, "admin")
	if err != nil {
		b.Fatal(err)
	}
	for _, sc := range scenarios {
		b.Run(sc.Name, func(b *testing.B) {
			t := loadTarget{URL: env.URL + magnumPath + sc.Path, Token: admin.Token}
			if sc.Member {
				t.Token = member.Token
			}
			size, err := check(ctx, t, sc, n)
			if err != nil {
				b.Fatal(err)
			}
			hc := newLoadClient(1)
			defer hc.CloseIdleConnections()
			b.SetBytes(int64(size))
			b.ReportAllocs()
			cpu0 := selfCPU()
			for b.Loop() {
				if _, err := fetch(ctx, hc, t); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time, the server's and the client's, varies less than
			// wall time on a machine that runs other work.
			b.ReportMetric(float64(selfCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
