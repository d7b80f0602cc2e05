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
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantOut    string
		wantErrOut string
		wantReq    string
		check      func(t *testing.T, out string)
	}{
		{name: "show", args: []string{"ca", "show", "k8s"}, wantOut: caPEM, wantReq: "GET /certificates/k8s"},
		{name: "show etcd", args: []string{"ca", "show", "k8s", "--ca-type", "etcd"}, wantOut: "ETCD CA\n", wantReq: "GET /certificates/k8s?ca_cert_type=etcd"},
		{
			name: "show json", args: []string{"ca", "show", "k8s", "-o", "json"},
			wantOut: "{\n  \"cluster_uuid\": \"" + clusterUUID + "\",\n  \"pem\": \"-----BEGIN CERTIFICATE-----\\nCA\\n-----END CERTIFICATE-----\\n\",\n  \"links\": null\n}\n",
		},
		{name: "sign file", args: []string{"ca", "sign", "k8s", csrFile}, wantOut: certPEM, wantReq: "POST /certificates"},
		{name: "sign stdin", args: []string{"ca", "sign", "k8s", "-"}, stdin: csrPEM, wantOut: certPEM},
		{
			name: "sign json", args: []string{"ca", "sign", "k8s", csrFile, "-o", "json"},
			check: func(t *testing.T, out string) {
				var got v1.Certificate
				if err := json.Unmarshal([]byte(out), &got); err != nil || got.PEM != certPEM || got.CSR != csrPEM {
					t.Errorf("certificate = %+v (%v)", got, err)
				}
			},
		},
		{name: "rotate", args: []string{"ca", "rotate", "k8s"}, wantOut: "Request to rotate the CA of cluster k8s has been accepted.\n", wantReq: "PATCH /certificates/k8s"},
		{name: "rotate and wait", args: []string{"ca", "rotate", "k8s", "--wait"}, wantOut: "Request to rotate the CA of cluster k8s has been accepted.\n", wantErrOut: "[t] UPDATE_COMPLETE\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newAPI(t)
			res := clitest.RunWithInput(t, srv, tc.stdin, NewCommand, tc.args...)
			if res.Err != nil {
				t.Fatalf("err = %v, stderr:\n%s", res.Err, res.ErrOut)
			}
			if tc.wantOut != "" && res.Out != tc.wantOut {
				t.Errorf("stdout:\n%s\nwant:\n%s", res.Out, tc.wantOut)
			}
			if got := clitest.StripElapsed(res.ErrOut); got != tc.wantErrOut {
				t.Errorf("stderr = %q, want %q", got, tc.wantErrOut)
			}
			if tc.check != nil {
				tc.check(t, res.Out)
			}
			if tc.wantReq != "" {
				r := srv.Requests()[0]
				got := r.Method + " " + r.Path
				if r.Query != "" {
					got += "?" + r.Query
				}
				if got != tc.wantReq {
					t.Errorf("request = %s, want %s", got, tc.wantReq)
				}
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	t.Parallel()
	res := clitest.Run(t, newAPI(t), NewCommand, "ca", "sign", "k8s", filepath.Join(t.TempDir(), "missing.csr"))
	if res.Err == nil || len(res.ErrOut) == 0 || res.ErrOut[:17] != "Error: read CSR: " {
		t.Errorf("missing CSR file: err %v, stderr %q", res.Err, res.ErrOut)
	}
	res = clitest.RunWithInput(t, newAPI(t), "not a csr", NewCommand, "ca", "sign", "k8s", "-")
	want := "Error: Invalid CSR. (HTTP 400, request " + clienttest.RequestID + ")\n"
	if res.Err == nil || res.ErrOut != want {
		t.Errorf("bad CSR: stderr %q, want %q", res.ErrOut, want)
	}
}
