package kube

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestCoreDNSGolden pins the CoreDNS addon's objects, as applied, in
// testdata/coredns-<case>.yaml.
func TestCoreDNSGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params DNSParams
	}{
		{"default", DNSParams{Image: "registry.k8s.io/coredns/coredns:v1.14.6", ClusterIP: "10.254.0.10"}},
		{"upstream", DNSParams{
			Image: "registry.k8s.io/coredns/coredns:v1.14.6", ClusterIP: "10.254.0.10",
			Domain: "example.internal", Replicas: 2, Upstream: []string{"192.0.2.53", "[2001:db8::53]:5353"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addon, err := coreDNS(tt.params)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			for i, obj := range addon.objects() {
				out, err := yaml.Marshal(obj)
				if err != nil {
					t.Fatal(err)
				}
				if i > 0 {
					got.WriteString("---\n")
				}
				got.Write(out)
			}
			golden := filepath.Join("testdata", "coredns-"+tt.name+".yaml")
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s differs from the addon (go test -update rewrites it); got:\n%s", golden, got.Bytes())
			}
		})
	}
}

// TestCorefileForwardsOnlyToUpstreams: nothing leaves the host unless
// upstreams are asked for.
func TestCorefileForwardsOnlyToUpstreams(t *testing.T) {
	t.Parallel()
	base := DNSParams{Image: "coredns", ClusterIP: "10.254.0.10"}
	p, err := base.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cf := corefile(p); strings.Contains(cf, "forward") {
		t.Errorf("Corefile without upstreams forwards:\n%s", cf)
	}
	base.Upstream = []string{"192.0.2.53"}
	if p, err = base.withDefaults(); err != nil {
		t.Fatal(err)
	}
	if cf := corefile(p); strings.Count(cf, "forward . 192.0.2.53 {") != 1 {
		t.Errorf("Corefile with an upstream lacks one forward line:\n%s", cf)
	}
}

// TestDNSParamsInvalid refuses parameters that would make a broken addon,
// or a Corefile another directive could be slipped into.
func TestDNSParamsInvalid(t *testing.T) {
	t.Parallel()
	good := DNSParams{Image: "registry.k8s.io/coredns/coredns:v1.14.6", ClusterIP: "10.254.0.10"}
	tests := []struct {
		name   string
		modify func(*DNSParams)
	}{
		{"no image", func(p *DNSParams) { p.Image = "" }},
		{"image with a space", func(p *DNSParams) { p.Image = "coredns latest" }},
		{"no cluster IP", func(p *DNSParams) { p.ClusterIP = "" }},
		{"cluster IP not an IP", func(p *DNSParams) { p.ClusterIP = "kube-dns" }},
		{"domain with a space", func(p *DNSParams) { p.Domain = "cluster.local {" }},
		{"upper-case domain", func(p *DNSParams) { p.Domain = "Cluster.Local" }},
		{"negative replicas", func(p *DNSParams) { p.Replicas = -1 }},
		{"upstream a name", func(p *DNSParams) { p.Upstream = []string{"dns.google"} }},
		{"upstream with a directive", func(p *DNSParams) { p.Upstream = []string{"192.0.2.53 {\n}\nlog"} }},
		{"upstream a file", func(p *DNSParams) { p.Upstream = []string{"/etc/resolv.conf"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := good
			tt.modify(&p)
			if _, err := coreDNS(p); !errors.Is(err, ErrInvalid) {
				t.Errorf("coreDNS = %v, want ErrInvalid", err)
			}
		})
	}
}

// TestReadyzReason turns failed /readyz answers into one line.
func TestReadyzReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		code int
		body string
		want string
	}{
		{
			"failing checks", 500,
			"[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n[+]informer-sync ok\n[-]poststarthook/rbac/bootstrap-roles failed: not finished\nreadyz check failed\n",
			"etcd failed: reason withheld; poststarthook/rbac/bootstrap-roles failed: not finished",
		},
		{"forbidden", 403, `{"kind":"Status","message":"forbidden"}`, `readyz answered 403: {"kind":"Status","message":"forbidden"}`},
		{"empty", 503, "", "readyz answered 503 Service Unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := readyzReason(tt.code, []byte(tt.body)); got != tt.want {
				t.Errorf("readyzReason = %q, want %q", got, tt.want)
			}
		})
	}
}
