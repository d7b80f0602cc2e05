package e2e

import (
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// webNames are the host names the group's servers serve.
func webNames(indexes ...int) []string {
	var out []string
	for _, i := range indexes {
		out = append(out, "web-"+string(rune('0'+i)))
	}
	return out
}

// floatingURL returns the URL of the stack's floating IP, and checks the
// address is on the provider's public network: a private address of this
// host, so that the test's traffic never leaves it.
func (h *host) floatingURL(stack string) string {
	h.t.Helper()
	fip, _ := h.output(stack, "floating_ip").(string)
	addr, err := netip.ParseAddr(fip)
	if err != nil || !addr.IsPrivate() {
		h.t.Fatalf("floating IP %q is not a private address of this host", fip)
	}
	return "http://" + fip + "/"
}

// TestLoadBalancedStack runs the template through the real server
// and the stock openstack CLI: a network, subnet and router to public, a
// security group admitting 8080, a group of three servers each with its
// pool member (their user_data starts busybox httpd and signals a wait
// condition with curl_cli), a load balancer with a TCP listener on port 80,
// a pool, a health monitor, and a floating IP on the VIP's port. Requests
// to the floating IP reach all three servers; a server whose agent is
// killed leaves the rotation and shows ERROR with the reason; the group
// scales to 5 and back to 2; the stack's delete leaves the host as it was
// before the stack.
func TestLoadBalancedStack(t *testing.T) {
	h := newHost(t)
	h.start()
	beforeStack, err := snapshot(t.Context(), h.dir)
	if err != nil {
		t.Fatal(err)
	}

	url := h.createWeb("web")

	servers := h.servers("web")
	if len(servers) != 3 {
		t.Fatalf("servers: %v", servers)
	}
	for name, srv := range servers {
		if srv["status"] != "ACTIVE" {
			t.Fatalf("server %s is %v: %v", name, srv["status"], srv["status_reason"])
		}
	}
	victim := servers["web-2"]["id"].(string)
	if log := h.slipway("server", "log", victim); !strings.Contains(log, "httpd serves web-2 on 8080") {
		t.Fatalf("the console log of web-2 lacks its user_data's output:\n%s", log)
	}

	// web-2's agent dies: the machine goes with it, the health monitor
	// takes it out of rotation, and the server says why it is down.
	if err := syscall.Kill(h.initPID(victim), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	h.awaitHostnames(url, webNames(0, 1), 30*time.Second)
	srv := decode[map[string]any](t, h.slipway("server", "show", victim, "-o", "json"))
	if srv["status"] != "ERROR" || !strings.Contains(srv["status_reason"].(string), "no longer running") {
		t.Fatalf("web-2 after its agent was killed: %v", srv)
	}

	h.openstack("stack", "update", "--existing", "--parameter", "count=5", "web")
	h.awaitStack("web", "UPDATE_COMPLETE", 3*time.Minute)
	h.awaitHostnames(url, webNames(0, 1, 3, 4), 30*time.Second)

	h.openstack("stack", "update", "--existing", "--parameter", "count=2", "web")
	h.awaitStack("web", "UPDATE_COMPLETE", 3*time.Minute)
	h.awaitHostnames(url, webNames(0, 1), 30*time.Second)
	if _, err := os.Stat(h.dir + "/provider/machines/" + victim); err == nil {
		t.Fatal("the scale-down left web-2's machine behind")
	}

	h.openstack("stack", "delete", "--yes", "--wait", "web")
	h.checkLeaks(beforeStack, "after the stack's delete")
}
