package node

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAgentRunsUserData runs the agent on a scratch root with user_data in
// every form it combines: a cloud-config, a script and a bootstrap document
// with a service whose readiness is signalled to a wait-condition URL.
func TestAgentRunsUserData(t *testing.T) {
	t.Parallel()
	var (
		mu      sync.Mutex
		signals []map[string]string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]string
		_ = json.Unmarshal(b, &body)
		mu.Lock()
		signals = append(signals, body)
		mu.Unlock()
		if r.Header.Get("X-Auth-Token") != "secret" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()

	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	userData := "Content-Type: multipart/mixed; boundary=\"b\"\nMIME-Version: 1.0\n\n" +
		"--b\nContent-Type: text/cloud-config\n\n#cloud-config\nhostname: node-3\n" +
		"write_files: [{path: /etc/app.conf, content: configured}]\n" +
		"runcmd: [\"cat etc/app.conf > runcmd-saw\"]\n" +
		"--b\nContent-Type: text/x-shellscript\n\n#!/bin/sh\necho \"boot $SLIPWAY_TEST\" > script-ran\n" +
		"--b\nContent-Type: text/x-slipway-bootstrap\n\nslipway_bootstrap: v1\n" +
		"commands: [{name: prep, shell: 'touch prepared'}]\n" +
		"services:\n- name: sleeper\n  command: sleep\n  args: ['60']\n" +
		"  readiness: {exec: [test, -e, " + filepath.Join(root, "prepared") + "], period: 50ms}\n" +
		"signal: {url: '" + srv.URL + "/signal', headers: {X-Auth-Token: secret}}\n" +
		"--b--\n"
	dir := t.TempDir()
	udPath := filepath.Join(dir, "user-data")
	if err := os.WriteFile(udPath, []byte(userData), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &Agent{
		UserData: udPath, Root: root, StatusFile: filepath.Join(dir, "run", "status.json"),
		LogDir: filepath.Join(dir, "log"), StateDir: filepath.Join(dir, "state"),
		Nonce: "n-1", Boot: 1, Env: append(os.Environ(), "SLIPWAY_TEST=yes"),
		Console: devNull(t), Log: quietLog(),
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	status := func() *Status {
		b, err := os.ReadFile(a.StatusFile)
		if err != nil {
			return nil
		}
		st, err := DecodeStatus(b)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	waitFor(t, 10*time.Second, "user_data and the service", func() bool {
		st := status()
		return st != nil && st.UserData.State == "done" && len(st.Services) == 1 && st.Services[0].Ready
	})
	waitFor(t, 10*time.Second, "the wait-condition signal", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(signals) == 1
	})
	st := status()
	if st.State != StateUp || st.Nonce != "n-1" || strings.Join(st.UserData.Kind, ",") != "cloud-config,script,bootstrap" {
		t.Errorf("status = %+v", st)
	}
	for file, want := range map[string]string{
		"etc/hostname": "node-3", "etc/app.conf": "configured", "runcmd-saw": "configured",
		"script-ran": "boot yes", "prepared": "",
	} {
		if got := strings.TrimSpace(readString(filepath.Join(root, file))); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	mu.Lock()
	if s := signals[0]; s["status"] != "SUCCESS" || s["reason"] != "all services ready" {
		t.Errorf("signal = %v", s)
	}
	mu.Unlock()

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not stop")
	}
	if st := status(); st.State != StateStopping || st.Services[0].State != serviceExited {
		t.Errorf("after stop: %+v", st)
	}
}

// TestAgentReportsUserDataFailure checks that a failing script and an
// invalid bootstrap document show in the status, and that the bootstrap's
// signal then reports FAILURE.
func TestAgentReportsUserDataFailure(t *testing.T) {
	t.Parallel()
	got := make(chan map[string]string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		got <- body
	}))
	defer srv.Close()
	dir := t.TempDir()
	ud := "Content-Type: multipart/mixed; boundary=\"b\"\n\n" +
		"--b\nContent-Type: text/x-shellscript\n\n#!/bin/sh\nexit 7\n" +
		"--b\nContent-Type: text/x-slipway-bootstrap\n\nslipway_bootstrap: v1\nsignal: {url: '" + srv.URL + "'}\n--b--\n"
	if err := os.WriteFile(filepath.Join(dir, "ud"), []byte(ud), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &Agent{UserData: filepath.Join(dir, "ud"), Root: dir, StatusFile: filepath.Join(dir, "status.json"),
		LogDir: dir, StateDir: filepath.Join(dir, "state"), Nonce: "n", Boot: 1, Env: os.Environ(),
		Console: devNull(t), Log: quietLog()}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case body := <-got:
		if body["status"] != "FAILURE" || !strings.Contains(body["reason"], "part 1 script: exit status 7") {
			t.Errorf("signal = %v", body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no signal")
	}
	b, _ := os.ReadFile(a.StatusFile)
	st, _ := DecodeStatus(b)
	if st == nil || st.UserData.State != "failed" || !strings.Contains(st.UserData.Reason, "exit status 7") {
		t.Errorf("status = %+v", st)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func devNull(t *testing.T) *os.File {
	t.Helper()
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}
