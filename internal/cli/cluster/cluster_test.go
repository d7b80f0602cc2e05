package cluster

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/slipway/slipway/internal/cli/clitest"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
	"github.com/slipway/slipway/pkg/client/clienttest"
)

const clusterUUID = "5d12f6fd-a196-4bf0-ae4c-1f639a523a52"

func ptr[T any](v T) *T { return &v }

func testCluster() v1.Cluster {
	return v1.Cluster{
		UUID: clusterUUID, Name: "k8s", ClusterTemplateID: "t-uuid", Status: "CREATE_COMPLETE",
		NodeCount: 2, MasterCount: 1, HealthStatus: ptr("HEALTHY"), APIAddress: ptr("https://10.0.0.5:6443"),
		Labels: map[string]string{"kube_tag": "v1.31.1"}, Links: []v1.Link{{Href: "http://x/v1/clusters/" + clusterUUID, Rel: "self"}},
	}
}

// newAPI serves the k8s cluster. Other clusters are not found.
func newAPI(t *testing.T) *clienttest.Server {
	srv := clienttest.NewServer(t)
	cl := testCluster()
	srv.Handle("GET /clusters", func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteJSON(w, http.StatusOK, v1.ClusterList{Clusters: []v1.ClusterSummary{{
			UUID: cl.UUID, Name: cl.Name, ClusterTemplateID: cl.ClusterTemplateID, NodeCount: cl.NodeCount,
			MasterCount: cl.MasterCount, Status: cl.Status, HealthStatus: cl.HealthStatus, Labels: cl.Labels,
		}}})
	})
	srv.Handle("GET /clusters/{id}", func(w http.ResponseWriter, r *http.Request) {
		if id := r.PathValue("id"); id != cl.Name && id != cl.UUID {
			clienttest.WriteError(w, http.StatusNotFound, "Cluster "+id+" could not be found.")
			return
		}
		clienttest.WriteJSON(w, http.StatusOK, cl)
	})
	accept := func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteJSON(w, http.StatusAccepted, v1.UUIDResponse{UUID: clusterUUID})
	}
	srv.Handle("POST /clusters", accept)
	srv.Handle("PATCH /clusters/{id}", accept)
	srv.Handle("POST /clusters/{id}/actions/resize", accept)
	srv.Handle("POST /clusters/{id}/actions/upgrade", accept)
	srv.Handle("DELETE /clusters/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return srv
}

func TestCommands(t *testing.T) {
	t.Parallel()
	clitest.RunCases(t, newAPI, NewCommand, []clitest.Case{
		{
			Name: "list table",
			Args: []string{"cluster", "list"},
			WantOut: "UUID                                  NAME  KEYPAIR  NODE_COUNT  MASTER_COUNT  STATUS           HEALTH_STATUS\n" +
				clusterUUID + "  k8s   -        2           1             CREATE_COMPLETE  HEALTHY\n",
			WantReq: "GET /clusters",
		},
		{
			Name:    "list json",
			Args:    []string{"cluster", "list", "-o", "json", "--limit", "5", "--sort-key", "name"},
			WantReq: "GET /clusters?limit=5&sort_key=name",
			Check: func(t *testing.T, out string) {
				var got []v1.ClusterSummary
				if err := json.Unmarshal([]byte(out), &got); err != nil {
					t.Fatalf("output is not a JSON list of clusters: %v\n%s", err, out)
				}
				if len(got) != 1 || got[0].UUID != clusterUUID || got[0].Labels["kube_tag"] != "v1.31.1" {
					t.Errorf("clusters = %+v", got)
				}
			},
		},
		{
			Name: "show table",
			Args: []string{"cluster", "show", "k8s"},
			Check: func(t *testing.T, out string) {
				for _, want := range []string{
					"FIELD ", "\napi_address ", " https://10.0.0.5:6443\n", "\nlabels ", ` {"kube_tag":"v1.31.1"}` + "\n",
					"\nstatus_reason ", " -\n", "\nuuid ", " " + clusterUUID + "\n",
				} {
					if !strings.Contains(out, want) {
						t.Errorf("output lacks %q:\n%s", want, out)
					}
				}
				if strings.Contains(out, "links") {
					t.Errorf("show prints links:\n%s", out)
				}
			},
		},
		{
			Name: "show yaml",
			Args: []string{"cluster", "show", "k8s", "-o", "yaml"},
			Check: func(t *testing.T, out string) {
				var got v1.Cluster
				if err := yaml.Unmarshal([]byte(out), &got); err != nil {
					t.Fatal(err)
				}
				if got.UUID != clusterUUID || *got.APIAddress != "https://10.0.0.5:6443" {
					t.Errorf("cluster = %+v", got)
				}
			},
		},
		{
			Name:       "show missing",
			Args:       []string{"cluster", "show", "nope"},
			WantErr:    true,
			WantErrOut: "Error: Cluster nope could not be found. (HTTP 404, request " + clienttest.RequestID + ")\n",
		},
		{
			Name:     "create",
			Args:     []string{"cluster", "create", "k8s", "--template", "tmpl", "--node-count", "3", "--label", "a=b,c", "--labels", "x=1,y=2", "--merge-labels", "--floating-ip-disabled"},
			WantOut:  "Request to create cluster " + clusterUUID + " accepted\n",
			WantReq:  "POST /clusters",
			WantBody: `{"name":"k8s","cluster_template_id":"tmpl","node_count":3,"create_timeout":60,"labels":{"a":"b,c","x":"1","y":"2"},"merge_labels":true,"floating_ip_enabled":false}`,
		},
		{
			Name:     "create json",
			Args:     []string{"cluster", "create", "k8s", "--cluster-template", "tmpl", "-o", "json"},
			WantOut:  "{\n  \"uuid\": \"" + clusterUUID + "\"\n}\n",
			WantBody: `{"name":"k8s","cluster_template_id":"tmpl","create_timeout":60}`,
		},
		{
			Name:       "create needs a template",
			Args:       []string{"cluster", "create", "k8s"},
			WantErr:    true,
			WantErrOut: "Error: at least one of the flags in the group [template cluster-template] is required\n",
		},
		{
			Name:     "update",
			Args:     []string{"cluster", "update", "k8s", "replace", "node_count=3", "health_status_reason=api=ok"},
			WantOut:  "Request to update cluster k8s has been accepted.\n",
			WantReq:  "PATCH /clusters/k8s",
			WantBody: `[{"op":"replace","path":"/node_count","value":3},{"op":"replace","path":"/health_status_reason","value":"{\"api\":\"ok\"}"}]`,
		},
		{
			Name:     "resize",
			Args:     []string{"cluster", "resize", "k8s", "1", "--nodes-to-remove", "n-1,n-2", "--nodegroup", "big"},
			WantOut:  "Request to resize cluster k8s has been accepted.\n",
			WantReq:  "POST /clusters/k8s/actions/resize",
			WantBody: `{"node_count":1,"nodes_to_remove":["n-1","n-2"],"nodegroup":"big"}`,
		},
		{
			Name:     "upgrade",
			Args:     []string{"cluster", "upgrade", "k8s", "tmpl-2"},
			WantOut:  "Request to upgrade cluster k8s has been accepted.\n",
			WantReq:  "POST /clusters/k8s/actions/upgrade",
			WantBody: `{"cluster_template":"tmpl-2","max_batch_size":1}`,
		},
		{
			Name:    "delete",
			Args:    []string{"cluster", "delete", "k8s", "old"},
			WantOut: "Request to delete cluster k8s has been accepted.\nRequest to delete cluster old has been accepted.\n",
			WantReq: "DELETE /clusters/old",
		},
	})
}

// sequence makes GETs of the cluster return states in turn; nil is a 404.
func sequence(states ...*v1.Cluster) func(*clienttest.Server) {
	return func(srv *clienttest.Server) {
		srv.Handle("GET /clusters/{id}", clitest.Sequence("Cluster k8s could not be found.", states...))
	}
}

func state(status, reason string) *v1.Cluster {
	cl := testCluster()
	cl.Status = status
	if reason != "" {
		cl.StatusReason = &reason
	}
	return &cl
}

func TestWait(t *testing.T) {
	t.Parallel()
	clitest.RunCases(t, newAPI, NewCommand, []clitest.Case{
		{
			Name: "create fails",
			Args: []string{"cluster", "create", "k8s", "--template", "tmpl", "--wait"},
			Setup: sequence(
				state("CREATE_IN_PROGRESS", ""), state("CREATE_IN_PROGRESS", ""),
				state("CREATE_IN_PROGRESS", "waiting for masters"),
				state("CREATE_FAILED", "k8s-master-0 did not come up"),
			),
			WantErr: true,
			WantErrOut: "[t] CREATE_IN_PROGRESS\n[t] CREATE_IN_PROGRESS: waiting for masters\n" +
				"[t] CREATE_FAILED: k8s-master-0 did not come up\n" +
				"Error: cluster k8s: CREATE_FAILED: k8s-master-0 did not come up\n",
		},
		{
			Name:       "create succeeds",
			Args:       []string{"cluster", "create", "k8s", "--template", "tmpl", "--wait"},
			Setup:      sequence(state("CREATE_IN_PROGRESS", ""), state("CREATE_COMPLETE", "")),
			WantErrOut: "[t] CREATE_IN_PROGRESS\n[t] CREATE_COMPLETE\n",
			WantReq:    "GET /clusters/" + clusterUUID,
		},
		{
			Name:       "resize",
			Args:       []string{"cluster", "resize", "k8s", "3", "--wait"},
			Setup:      sequence(state("UPDATE_IN_PROGRESS", ""), state("UPDATE_COMPLETE", "")),
			WantErrOut: "[t] UPDATE_IN_PROGRESS\n[t] UPDATE_COMPLETE\n",
		},
		{
			Name:       "upgrade",
			Args:       []string{"cluster", "upgrade", "k8s", "tmpl-2", "--wait"},
			Setup:      sequence(state("UPDATE_IN_PROGRESS", "upgrading node 1 of 2"), state("UPDATE_COMPLETE", "")),
			WantErrOut: "[t] UPDATE_IN_PROGRESS: upgrading node 1 of 2\n[t] UPDATE_COMPLETE\n",
		},
		{
			Name:       "delete",
			Args:       []string{"cluster", "delete", "k8s", "--wait"},
			Setup:      sequence(state("DELETE_IN_PROGRESS", ""), state("DELETE_IN_PROGRESS", ""), nil),
			WantErrOut: "[t] DELETE_IN_PROGRESS\n[t] deleted\n",
		},
		{
			Name:    "delete fails",
			Args:    []string{"cluster", "delete", "k8s", "--wait"},
			Setup:   sequence(state("DELETE_IN_PROGRESS", ""), state("DELETE_FAILED", "volume busy")),
			WantErr: true,
			WantErrOut: "[t] DELETE_IN_PROGRESS\n[t] DELETE_FAILED: volume busy\n" +
				"Error: cluster k8s: DELETE_FAILED: volume busy\n",
		},
	})
}

func TestWaitStopsOnCancel(t *testing.T) {
	t.Parallel()
	srv := newAPI(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var polls atomic.Int32
	srv.Handle("GET /clusters/{id}", func(w http.ResponseWriter, r *http.Request) {
		if polls.Add(1) == 3 {
			cancel()
		}
		clienttest.WriteJSON(w, http.StatusOK, state("UPDATE_IN_PROGRESS", ""))
	})
	res := clitest.RunContext(ctx, t, srv, NewCommand, "cluster", "update", "k8s", "replace", "node_count=3", "--wait")
	if res.Err == nil || !strings.Contains(res.Err.Error(), "context canceled") {
		t.Fatalf("err = %v, want a cancelled wait", res.Err)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	srv := newAPI(t)
	srv.Handle("GET /clustertemplates/{id}", func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteJSON(w, http.StatusOK, v1.ClusterTemplate{UUID: "t-uuid", COE: "kubernetes"})
	})
	srv.Handle("GET /certificates/{id}", func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteJSON(w, http.StatusOK, v1.Certificate{ClusterUUID: clusterUUID, PEM: "CA PEM\n"})
	})
	var csr *x509.CertificateRequest
	srv.Handle("POST /certificates", func(w http.ResponseWriter, r *http.Request) {
		var in v1.CertificateCreate
		_ = json.NewDecoder(r.Body).Decode(&in)
		block, _ := pem.Decode([]byte(in.CSR))
		if block != nil {
			csr, _ = x509.ParseCertificateRequest(block.Bytes)
		}
		if in.ClusterUUID != clusterUUID || csr == nil {
			clienttest.WriteError(w, http.StatusBadRequest, "Invalid CSR.")
			return
		}
		clienttest.WriteJSON(w, http.StatusCreated, v1.Certificate{ClusterUUID: clusterUUID, PEM: "CERT PEM\n", CSR: in.CSR})
	})
	dir := filepath.Join(t.TempDir(), "kube")

	res := clitest.Run(t, srv, NewCommand, "cluster", "config", "k8s", "--dir", dir)
	if res.Err != nil {
		t.Fatalf("err = %v\n%s", res.Err, res.ErrOut)
	}
	path := filepath.Join(dir, "config")
	if want := "export KUBECONFIG=" + path + "\n"; res.Out != want {
		t.Errorf("stdout = %q, want %q", res.Out, want)
	}
	if csr == nil || csr.Subject.CommonName != "admin" || strings.Join(csr.Subject.Organization, ",") != "system:masters" {
		t.Fatalf("CSR subject = %+v, want CN=admin, O=system:masters", csr)
	}
	if csr.SignatureAlgorithm != x509.SHA256WithRSA || csr.CheckSignature() != nil {
		t.Errorf("CSR signature %v is not a valid SHA256-RSA signature", csr.SignatureAlgorithm)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kc kubeConfigFile
	if err := yaml.UnmarshalStrict(data, &kc); err != nil {
		t.Fatalf("kubeconfig: %v\n%s", err, data)
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	if kc.CurrentContext != "default" || kc.Contexts[0].Context != (kubeContext{Cluster: "k8s", User: "admin"}) {
		t.Errorf("contexts = %+v, current %q", kc.Contexts, kc.CurrentContext)
	}
	if c := kc.Clusters[0]; c.Name != "k8s" || c.Cluster.Server != "https://10.0.0.5:6443" || c.Cluster.CertificateAuthorityData != b64("CA PEM\n") {
		t.Errorf("cluster = %+v", c)
	}
	u := kc.Users[0]
	if u.Name != "admin" || u.User.ClientCertificateData != b64("CERT PEM\n") {
		t.Errorf("user = %+v", u)
	}
	keyPEM, _ := base64.StdEncoding.DecodeString(u.User.ClientKeyData)
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		t.Fatal("client-key-data is not PEM")
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil || key.N.BitLen() != 2048 || !key.PublicKey.Equal(csr.PublicKey) {
		t.Errorf("key: err %v; want the RSA-2048 key of the CSR", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("config mode = %v, want 0600", fi.Mode().Perm())
	}

	// A second run refuses to overwrite, unless forced.
	res = clitest.Run(t, srv, NewCommand, "cluster", "config", "k8s", "--dir", dir)
	if res.Err == nil || !strings.Contains(res.ErrOut, "already exists; use --force") {
		t.Errorf("overwrite without --force: err %v, stderr %q", res.Err, res.ErrOut)
	}
	res = clitest.Run(t, srv, NewCommand, "cluster", "config", "k8s", "--dir", dir, "--force")
	if res.Err != nil {
		t.Errorf("--force: %v", res.Err)
	}
}
