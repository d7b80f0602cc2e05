package compat

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
)

// stackSession talks to the orchestration API of a `slipway serve` process.
type stackSession struct {
	*session
	project string
}

func stackLogin(t *testing.T, url, password string) *stackSession {
	t.Helper()
	pc, err := openstack.AuthenticatedClient(t.Context(), gophercloud.AuthOptions{
		IdentityEndpoint: url + "/identity/v3", Username: "admin", Password: password,
		TenantName: "admin", DomainName: "Default",
	})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	s := &stackSession{session: &session{t: t, token: pc.Token()}}
	status, body, _ := (&session{t: t, base: url + "/identity", token: pc.Token()}).do("GET", "/v3/auth/projects", nil)
	if status != 200 {
		t.Fatalf("auth projects: %d", status)
	}
	for _, p := range body["projects"].([]any) {
		if m := p.(map[string]any); m["name"] == "admin" {
			s.project = m["id"].(string)
		}
	}
	s.base = url + "/orchestration/v1/" + s.project
	return s
}

// bigTemplate is n test resources that each take wait seconds to create
// and to delete.
func bigTemplate(n int, wait float64) map[string]any {
	res := map[string]any{}
	for i := range n {
		res[fmt.Sprintf("r%03d", i)] = map[string]any{
			"type":       "OS::Heat::TestResource",
			"properties": map[string]any{"value": fmt.Sprint(i), "wait_secs": wait},
		}
	}
	return map[string]any{"heat_template_version": "2021-04-16", "resources": res}
}

// completions counts, per resource, the events of one transition.
func (s *stackSession) completions(name, status string) map[string]int {
	s.t.Helper()
	code, body, _ := s.do("GET", "/stacks/"+name+"/events", nil)
	if code == http.StatusNotFound {
		return nil
	}
	if code != 200 {
		s.t.Fatalf("events: %d %v", code, body)
	}
	out := map[string]int{}
	for _, e := range body["events"].([]any) {
		ev := e.(map[string]any)
		stackName, _, _ := strings.Cut(name, "/")
		if ev["resource_status"] == status && ev["resource_name"] != stackName {
			out[ev["resource_name"].(string)]++
		}
	}
	return out
}

func (s *stackSession) stackStatus(name string) string {
	s.t.Helper()
	code, body, _ := s.do("GET", "/stacks/"+name, nil)
	if code == http.StatusNotFound {
		return "gone"
	}
	if code != 200 {
		s.t.Fatalf("stack show: %d %v", code, body)
	}
	return body["stack"].(map[string]any)["stack_status"].(string)
}

func (s *stackSession) waitStatus(name, want string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.t.Context(), 3*time.Minute)
	defer cancel()
	for {
		got := s.stackStatus(name)
		if got == want {
			return
		}
		if strings.HasSuffix(got, "FAILED") {
			s.t.Fatalf("stack %s is %s, want %s", name, got, want)
		}
		select {
		case <-ctx.Done():
			s.t.Fatalf("stack %s still %s, want %s", name, got, want)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitEvents waits until at least n resources reached status.
func (s *stackSession) waitEvents(name, status string, n int) {
	s.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for len(s.completions(name, status)) < n {
		if time.Now().After(deadline) {
			s.t.Fatalf("fewer than %d resources reached %s", n, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func kill(t *testing.T, p *serveProcess) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := <-p.done; err == nil {
		t.Fatal("a killed slipway serve exited cleanly")
	}
}

// TestStackResumesAfterCrash kills the real server process in the middle
// of creating, then of deleting, a 200-resource stack. Each restart
// finishes the operation, and every resource is created, and deleted,
// exactly once.
func TestStackResumesAfterCrash(t *testing.T) {
	t.Parallel()
	const n = 200
	dir := filepath.Join(t.TempDir(), "data")
	p := startServe(t, dir)
	password := cloudsPassword(t, dir)
	s := stackLogin(t, p.url, password)

	status, body, _ := s.do("POST", "/stacks", map[string]any{"stack_name": "big", "template": bigTemplate(n, 0.4)})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, body)
	}
	id := body["stack"].(map[string]any)["id"].(string)
	s.waitEvents("big", "CREATE_COMPLETE", 40)
	kill(t, p)

	p = startServe(t, dir)
	s = stackLogin(t, p.url, password)
	// The dead conductor's claim on the stack holds for its lease time, so
	// nothing moved since the kill.
	if got := len(s.completions("big", "CREATE_COMPLETE")); got >= n {
		t.Fatalf("the create finished (%d resources) before the kill", got)
	}
	s.waitStatus("big", "CREATE_COMPLETE")
	created := s.completions("big", "CREATE_COMPLETE")
	if len(created) != n {
		t.Fatalf("%d resources created, want %d", len(created), n)
	}
	for name, c := range created {
		if c != 1 {
			t.Fatalf("resource %s completed its create %d times", name, c)
		}
	}

	if status, body, _ := s.do("DELETE", "/stacks/big", nil); status != http.StatusNoContent && status != http.StatusFound {
		t.Fatalf("delete: %d %v", status, body)
	}
	s.waitEvents("big", "DELETE_COMPLETE", 40)
	kill(t, p)
	p = startServe(t, dir)
	s = stackLogin(t, p.url, password)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	for s.stackStatus("big") != "gone" {
		if ctx.Err() != nil {
			t.Fatalf("stack still %s after the restart", s.stackStatus("big"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	deleted := s.completions("big/"+id, "DELETE_COMPLETE")
	if len(deleted) != n {
		t.Fatalf("%d resources deleted, want %d", len(deleted), n)
	}
	for name, c := range deleted {
		if c != 1 {
			t.Fatalf("resource %s completed its delete %d times", name, c)
		}
	}
	if got := s.stackStatus("big/" + id); got != "DELETE_COMPLETE" {
		t.Fatalf("deleted stack shows %s by id", got)
	}
}
