package node

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParseBootstrap(t *testing.T) {
	t.Parallel()
	doc := `slipway_bootstrap: v1
hostname: cp-0
commands:
  - {name: dirs, shell: "mkdir -p /var/lib/etcd"}
  - {run: [true], timeout: 5}
services:
  - name: etcd
    command: /opt/bin/etcd
    args: [--data-dir, /var/lib/etcd]
    env: {ETCD_NAME: cp-0}
    restart: {policy: always, backoff: 100ms, max_backoff: 5s}
    readiness: {http: "http://127.0.0.1:2381/health", period: 1s}
    logs: {max_size_mib: 5, keep: 2}
  - name: apiserver
    command: /opt/bin/kube-apiserver
    after: [etcd]
    readiness: {tcp: "127.0.0.1:6443"}
signal: {url: "http://10.0.0.1/signal", headers: {X-Auth-Token: abc}}
deployments: {metadata_url: "http://10.0.0.1/metadata", interval: 30s}
`
	b, err := ParseBootstrap([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if b.Hostname != "cp-0" || len(b.Commands) != 2 || len(b.Services) != 2 {
		t.Fatalf("parsed %+v", b)
	}
	etcd := b.Services[0]
	if time.Duration(etcd.Restart.Backoff) != 100*time.Millisecond || time.Duration(etcd.Restart.MaxBackoff) != 5*time.Second {
		t.Errorf("restart = %+v", etcd.Restart)
	}
	if time.Duration(b.Commands[1].Timeout) != 5*time.Second {
		t.Errorf("a number of seconds parsed as %v", time.Duration(b.Commands[1].Timeout))
	}
	if b.Signal.Headers["X-Auth-Token"] != "abc" || time.Duration(b.Deployments.Interval) != 30*time.Second {
		t.Errorf("signal %+v deployments %+v", b.Signal, b.Deployments)
	}
}

func TestParseBootstrapErrors(t *testing.T) {
	t.Parallel()
	svc := func(s string) string { return "slipway_bootstrap: v1\nservices:\n" + s }
	tests := map[string]struct{ doc, want string }{
		"version":         {"slipway_bootstrap: v2\n", `"v2"`},
		"unknown field":   {"slipway_bootstrap: v1\nservises: []\n", "servises"},
		"command":         {"slipway_bootstrap: v1\ncommands: [{name: x}]\n", "exactly one of run and shell"},
		"no command":      {svc("  - name: a\n"), "command is required"},
		"bad name":        {svc("  - {name: 'a b', command: x}\n"), "name must match"},
		"duplicate":       {svc("  - {name: a, command: x}\n  - {name: a, command: y}\n"), "duplicate"},
		"policy":          {svc("  - {name: a, command: x, restart: {policy: sometimes}}\n"), "sometimes"},
		"two probes":      {svc("  - {name: a, command: x, readiness: {tcp: 'x:1', exec: [true]}}\n"), "exactly one of exec"},
		"probe url":       {svc("  - {name: a, command: x, readiness: {http: 'ftp://x'}}\n"), "not an http"},
		"unknown after":   {svc("  - {name: a, command: x, after: [b]}\n"), "unknown service"},
		"cycle":           {svc("  - {name: a, command: x, after: [b]}\n  - {name: b, command: y, after: [a]}\n"), "cycle"},
		"signal url":      {"slipway_bootstrap: v1\nsignal: {method: POST}\n", "signal: url"},
		"bad duration":    {svc("  - {name: a, command: x, restart: {backoff: soon}}\n"), "soon"},
		"deployments url": {"slipway_bootstrap: v1\ndeployments: {interval: 1s}\n", "metadata_url"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseBootstrap([]byte(tc.doc))
			if !errors.Is(err, ErrBootstrap) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrBootstrap mentioning %q", err, tc.want)
			}
		})
	}
}

// TestIncludeMerges fetches an included document: its parts come first,
// the including document's hostname and signal win, and a document the
// endpoint refuses is an error at once.
func TestIncludeMerges(t *testing.T) {
	inc := []byte("slipway_bootstrap: v1\nhostname: from-include\nwrite_files:\n- {path: /etc/a, content: a}\nservices:\n- {name: svc, command: /bin/true}\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/doc" || r.Header.Get("X-Token") != "t" {
			http.Error(w, "unknown", http.StatusNotFound)
			return
		}
		_, _ = w.Write(inc)
	}))
	defer srv.Close()
	stub, err := ParseBootstrap([]byte("slipway_bootstrap: v1\nhostname: node-1\nsignal: {url: http://signal}\nwrite_files:\n- {path: /etc/b, content: b}\ninclude: {url: " + srv.URL + "/doc, headers: {X-Token: t}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	a := &Agent{Log: slog.New(slog.DiscardHandler)}
	b, err := a.include(t.Context(), stub)
	if err != nil {
		t.Fatal(err)
	}
	if b.Hostname != "node-1" || b.Signal == nil || b.Signal.URL != "http://signal" || b.Include != nil {
		t.Errorf("merged hostname %q, signal %+v, include %+v", b.Hostname, b.Signal, b.Include)
	}
	if len(b.WriteFiles) != 2 || b.WriteFiles[0].Path != "/etc/a" || b.WriteFiles[1].Path != "/etc/b" || len(b.Services) != 1 {
		t.Errorf("merged files %+v, services %+v", b.WriteFiles, b.Services)
	}
	stub.Include.Headers = nil
	if _, err := a.include(t.Context(), stub); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("a refused include: %v, want the 404 at once", err)
	}
}
