package kube_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/driver/kubernetes/kube"
	"github.com/slipway/slipway/internal/driver/kubernetes/kube/kubetest"
)

// TestWaitReady waits for a real API server: it returns once /readyz is
// ok; with etcd stopped it gives up when its context ends and names the
// failing checks; with the API server stopped, it says why it got no
// answer.
func TestWaitReady(t *testing.T) {
	t.Parallel()
	c := kubetest.Start(t, kubetest.Options{})
	client := c.Client(t)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := client.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady on a running API: %v", err)
	}

	c.StopEtcd()
	waitNotReady(t, client.Interface())
	// Without etcd, a /readyz answer takes the API server's two etcd
	// health-check timeouts (2 s each): leave room for two.
	err := waitReadyFor(t, client, 9*time.Second)
	if !errors.Is(err, kube.ErrNotReady) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitReady without etcd = %v, want ErrNotReady and DeadlineExceeded", err)
	}
	if err == nil || !strings.Contains(err.Error(), "etcd failed") {
		t.Errorf("WaitReady without etcd = %v, want the failing etcd check", err)
	}

	c.StopAPIServer()
	err = waitReadyFor(t, client, 2*time.Second)
	if !errors.Is(err, kube.ErrNotReady) || err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("WaitReady without API server = %v, want ErrNotReady saying connection refused", err)
	}
}

// waitReadyFor runs WaitReady with a timeout.
func waitReadyFor(t *testing.T, client *kube.Client, d time.Duration) error {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	err := client.WaitReady(ctx)
	t.Logf("WaitReady: %v", err)
	return err
}

// TestNewClientRejectsBadCredentials: a client is not made from credentials
// that cannot work.
func TestNewClientRejectsBadCredentials(t *testing.T) {
	t.Parallel()
	good := kube.Credentials{Server: "https://127.0.0.1:6443", CACert: []byte("x"), ClientCert: []byte("x"), ClientKey: []byte("x")}
	tests := []struct {
		name   string
		modify func(*kube.Credentials)
	}{
		{"no server", func(c *kube.Credentials) { c.Server = "" }},
		{"plain http", func(c *kube.Credentials) { c.Server = "http://127.0.0.1:6443" }},
		{"no CA", func(c *kube.Credentials) { c.CACert = nil }},
		{"no client certificate", func(c *kube.Credentials) { c.ClientCert = nil }},
		{"no client key", func(c *kube.Credentials) { c.ClientKey = []byte("  ") }},
		{"not PEM", func(*kube.Credentials) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			creds := good
			tt.modify(&creds)
			if _, err := kube.NewClient(creds); !errors.Is(err, kube.ErrInvalid) {
				t.Errorf("NewClient = %v, want ErrInvalid", err)
			}
		})
	}
}
