package compat

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/pki"
	"github.com/slipway/slipway/internal/server/servertest"
)

// osc runs the stock openstack CLI against env with its clouds.yaml.
type osc struct {
	t   *testing.T
	env *servertest.Env
}

func newOSC(t *testing.T, env *servertest.Env) *osc {
	t.Helper()
	if _, err := exec.LookPath("openstack"); err != nil {
		t.Fatalf("the openstack CLI is not installed (apt-get install python3-openstackclient python3-magnumclient): %v", err)
	}
	return &osc{t: t, env: env}
}

// run runs `openstack args…` and returns stdout; a non-zero exit fails the
// test unless wantFail.
func (o *osc) exec(wantFail bool, args ...string) (string, string) {
	o.t.Helper()
	ctx, cancel := context.WithTimeout(o.t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openstack", args...)
	cmd.Env = append(os.Environ(), "OS_CLIENT_CONFIG_FILE="+o.env.CloudsYAML, "OS_CLOUD=slipway")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil && !wantFail {
		o.t.Fatalf("openstack %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	if err == nil && wantFail {
		o.t.Fatalf("openstack %s succeeded, want failure; stdout: %s", strings.Join(args, " "), stdout.String())
	}
	return stdout.String(), stderr.String()
}

func (o *osc) run(args ...string) string {
	o.t.Helper()
	out, _ := o.exec(false, args...)
	return out
}

// json runs a command with -f json and decodes its output. Some commands
// print a line before the JSON document; it is skipped.
func (o *osc) json(v any, args ...string) {
	o.t.Helper()
	out := o.run(append(args, "-f", "json")...)
	if i := strings.IndexAny(out, "[{"); i > 0 {
		out = out[i:]
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		o.t.Fatalf("openstack %s: decode %q: %v", strings.Join(args, " "), out, err)
	}
}

func (o *osc) waitStatus(cluster, want string) map[string]any {
	o.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var c map[string]any
		out, _ := o.exec(want == "deleted", "coe", "cluster", "show", cluster, "-f", "json")
		if want == "deleted" {
			return nil
		}
		if err := json.Unmarshal([]byte(out), &c); err != nil {
			o.t.Fatalf("decode cluster: %v", err)
		}
		if c["status"] == want {
			return c
		}
		if strings.HasSuffix(c["status"].(string), "FAILED") || time.Now().After(deadline) {
			o.t.Fatalf("cluster %s is %v (%v), want %s", cluster, c["status"], c["status_reason"], want)
		}
	}
}

func TestOpenstackCLI(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	o := newOSC(t, env)

	// Templates: create, list, show, update, and later delete.
	var tmpl map[string]any
	o.json(&tmpl, "coe", "cluster", "template", "create", "k8s", "--coe", "kubernetes", "--image", "slipway-node",
		"--external-network", "public", "--flavor", "m1.small", "--master-flavor", "m1.medium", "--labels", "kube_tag=v1.37.2,a=b")
	if tmpl["name"] != "k8s" || tmpl["image_id"] != "slipway-node" || tmpl["cluster_distro"] != "debian" {
		t.Fatalf("created template: %v", tmpl)
	}
	if labels, _ := tmpl["labels"].(map[string]any); labels["kube_tag"] != "v1.37.2" || labels["a"] != "b" {
		t.Fatalf("template labels: %v", tmpl["labels"])
	}
	var list []map[string]any
	o.json(&list, "coe", "cluster", "template", "list")
	if len(list) != 1 || list[0]["uuid"] != tmpl["uuid"] {
		t.Fatalf("template list: %v", list)
	}
	o.run("coe", "cluster", "template", "update", "k8s", "replace", "dns_nameserver=10.1.1.1")
	var shown map[string]any
	o.json(&shown, "coe", "cluster", "template", "show", "k8s")
	if shown["dns_nameserver"] != "10.1.1.1" {
		t.Fatalf("updated template dns_nameserver = %v", shown["dns_nameserver"])
	}
	_, stderr := o.exec(true, "coe", "cluster", "template", "create", "bad", "--coe", "kubernetes", "--image", "no-such-image", "--external-network", "public")
	if !strings.Contains(stderr, "Image no-such-image could not be found") {
		t.Fatalf("unknown image error: %s", stderr)
	}

	// A cluster through the test driver, its CA, then delete.
	o.run("coe", "cluster", "create", "c1", "--cluster-template", "k8s", "--node-count", "2")
	c := o.waitStatus("c1", "CREATE_COMPLETE")
	if c["node_count"] != float64(2) || c["master_count"] != float64(1) || c["api_address"] == nil {
		t.Fatalf("created cluster: %v", c)
	}
	var clusters []map[string]any
	o.json(&clusters, "coe", "cluster", "list")
	if len(clusters) != 1 || clusters[0]["name"] != "c1" || clusters[0]["status"] != "CREATE_COMPLETE" {
		t.Fatalf("cluster list: %v", clusters)
	}
	ca := o.run("coe", "ca", "show", "c1")
	if !strings.Contains(ca, "BEGIN CERTIFICATE") {
		t.Fatalf("ca show: %s", ca)
	}
	csr, _, err := pki.NewCSR("admin", []string{"system:masters"})
	if err != nil {
		t.Fatal(err)
	}
	csrFile := filepath.Join(t.TempDir(), "admin.csr")
	if err := os.WriteFile(csrFile, csr, 0o600); err != nil {
		t.Fatal(err)
	}
	signed := o.run("coe", "ca", "sign", "c1", csrFile)
	if !strings.Contains(signed, "BEGIN CERTIFICATE") {
		t.Fatalf("ca sign: %s", signed)
	}
	block, _ := pem.Decode([]byte(signed[strings.Index(signed, "-----BEGIN"):]))
	if block == nil {
		t.Fatalf("ca sign printed no PEM: %s", signed)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil || cert.Subject.CommonName != "admin" || cert.Issuer.CommonName != "c1" {
		t.Fatalf("signed certificate: subject %v issuer %v err %v", cert.Subject, cert.Issuer, err)
	}

	// Quotas and stats.
	var project map[string]any
	o.json(&project, "project", "show", "admin")
	pid := project["id"].(string)
	o.run("coe", "quotas", "create", "--project-id", pid, "--resource", "Cluster", "--hard-limit", "5")
	quota := o.run("coe", "quotas", "show", "--project-id", pid, "--resource", "Cluster")
	if !strings.Contains(quota, "| hard_limit | 5 ") {
		t.Fatalf("quota: %s", quota)
	}
	stats := o.run("coe", "stats", "list", pid)
	if !strings.Contains(stats, "| clusters | 1 ") || !strings.Contains(stats, "| nodes    | 3 ") {
		t.Fatalf("stats: %s", stats)
	}

	o.run("coe", "cluster", "delete", "c1")
	o.waitStatus("c1", "deleted")
	o.run("coe", "cluster", "template", "delete", "k8s")
	o.json(&list, "coe", "cluster", "template", "list")
	if len(list) != 0 {
		t.Fatalf("templates after delete: %v", list)
	}
}
