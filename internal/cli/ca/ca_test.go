package ca

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/slipway/slipway/internal/cli/clitest"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
	"github.com/slipway/slipway/pkg/client/clienttest"
)

const (
	clusterUUID = "5d12f6fd-a196-4bf0-ae4c-1f639a523a52"
	caPEM       = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n"
	certPEM     = "-----BEGIN CERTIFICATE-----\nSIGNED\n-----END CERTIFICATE-----\n"
	csrPEM      = "-----BEGIN CERTIFICATE REQUEST-----\nCSR\n-----END CERTIFICATE REQUEST-----\n"
)

func newAPI(t *testing.T) *clienttest.Server {
	srv := clienttest.NewServer(t)
	srv.Handle("GET /certificates/{id}", func(w http.ResponseWriter, r *http.Request) {
		pem := caPEM
		if r.URL.Query().Get("ca_cert_type") == "etcd" {
			pem = "ETCD CA\n"
		}
		clienttest.WriteJSON(w, http.StatusOK, v1.Certificate{ClusterUUID: clusterUUID, PEM: pem})
	})
	srv.Handle("POST /certificates", func(w http.ResponseWriter, r *http.Request) {
		var in v1.CertificateCreate
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.CSR != csrPEM {
			clienttest.WriteError(w, http.StatusBadRequest, "Invalid CSR.")
			return
		}
		clienttest.WriteJSON(w, http.StatusCreated, v1.Certificate{ClusterUUID: clusterUUID, PEM: certPEM, CSR: in.CSR})
	})
	srv.Handle("PATCH /certificates/{id}", func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteJSON(w, http.StatusAccepted, v1.UUIDResponse{UUID: clusterUUID})
	})
	srv.Handle("GET /clusters/{id}", func(w http.ResponseWriter, r *http.Request) {
		clienttest.WriteJSON(w, http.StatusOK, v1.Cluster{UUID: clusterUUID, Name: "k8s", Status: "UPDATE_COMPLETE"})
	})
	return srv
}

func TestCommands(t *testing.T) {
	t.Parallel()
	csrFile := filepath.Join(t.TempDir(), "client.csr")
	if err := os.WriteFile(csrFile, []byte(csrPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	clitest.RunCases(t, newAPI, NewCommand, []clitest.Case{
		{Name: "show", Args: []string{"ca", "show", "k8s"}, WantOut: caPEM, WantReq: "GET /certificates/k8s"},
		{Name: "show etcd", Args: []string{"ca", "show", "k8s", "--ca-type", "etcd"}, WantOut: "ETCD CA\n", WantReq: "GET /certificates/k8s?ca_cert_type=etcd"},
		{
			Name: "show json", Args: []string{"ca", "show", "k8s", "-o", "json"},
			WantOut: "{\n  \"cluster_uuid\": \"" + clusterUUID + "\",\n  \"pem\": \"-----BEGIN CERTIFICATE-----\\nCA\\n-----END CERTIFICATE-----\\n\",\n  \"links\": null\n}\n",
		},
		{Name: "sign file", Args: []string{"ca", "sign", "k8s", csrFile}, WantOut: certPEM, WantReq: "POST /certificates"},
		{Name: "sign stdin", Args: []string{"ca", "sign", "k8s", "-"}, Stdin: csrPEM, WantOut: certPEM},
		{
			Name: "sign json", Args: []string{"ca", "sign", "k8s", csrFile, "-o", "json"},
			Check: func(t *testing.T, out string) {
				var got v1.Certificate
				if err := json.Unmarshal([]byte(out), &got); err != nil || got.PEM != certPEM || got.CSR != csrPEM {
					t.Errorf("certificate = %+v (%v)", got, err)
				}
			},
		},
		{
			Name: "sign a bad CSR", Args: []string{"ca", "sign", "k8s", "-"}, Stdin: "not a csr", WantErr: true,
			WantErrOut: "Error: Invalid CSR. (HTTP 400, request " + clienttest.RequestID + ")\n",
		},
		{
			Name: "sign a missing file", Args: []string{"ca", "sign", "k8s", "/nonexistent/x.csr"}, WantErr: true,
			WantErrOut: "Error: read CSR: open /nonexistent/x.csr: no such file or directory\n",
		},
		{Name: "rotate", Args: []string{"ca", "rotate", "k8s"}, WantOut: "Request to rotate the CA of cluster k8s has been accepted.\n", WantReq: "PATCH /certificates/k8s"},
		{
			Name: "rotate and wait", Args: []string{"ca", "rotate", "k8s", "--wait"},
			WantOut: "Request to rotate the CA of cluster k8s has been accepted.\n", WantErrOut: "[t] UPDATE_COMPLETE\n",
			WantReq: "GET /clusters/k8s",
		},
	})
}
