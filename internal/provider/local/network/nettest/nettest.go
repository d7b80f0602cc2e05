package nettest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/slipway/slipway/internal/provider/local/network/netns"
)

// NeedHost skips the test unless it runs as root with the given programs
// installed (busybox, haproxy …).
func NeedHost(t testing.TB, programs ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			pkg := p
			if p == "busybox" {
				pkg = "busybox-static"
			}
			t.Skipf("needs %s (apt-get install %s)", p, pkg)
		}
	}
}

// Machine creates a bare network namespace named name and removes it, with
// every process inside, when the test ends. It returns its path.
func Machine(t testing.TB, name string) string {
	t.Helper()
	path, err := netns.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := loopbackUp(path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if pids, err := netns.Pids(path); err == nil {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if err := netns.Delete(name); err != nil {
			t.Error(err)
		}
	})
	return path
}

func loopbackUp(path string) error {
	ns, err := netns.Open(path)
	if err != nil {
		return err
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return err
	}
	return h.LinkSetUp(lo)
}

// handle opens a netlink handle into the namespace at path.
func handle(t testing.TB, path string) *netlink.Handle {
	t.Helper()
	ns, err := netns.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Routes returns the routes via a gateway in the main table of the
// namespace at path, as "DESTINATION via GATEWAY", one per nexthop of a
// multipath route, sorted.
func Routes(t testing.TB, path string) []string {
	t.Helper()
	h := handle(t, path)
	defer h.Close()
	routes, err := h.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range routes {
		dst := "default"
		if r.Dst != nil && r.Dst.IP != nil && !r.Dst.IP.IsUnspecified() {
			dst = r.Dst.String()
		}
		if r.Gw != nil {
			out = append(out, dst+" via "+r.Gw.String())
		}
		for _, hop := range r.MultiPath {
			out = append(out, dst+" via "+hop.Gw.String())
		}
	}
	slices.Sort(out)
	return out
}

// LoopbackAddress adds addr (a /32, say) to the loopback interface of the
// namespace at path: the namespace then answers for it as a node answers
// for its pods' addresses behind its own. (This kernel has no dummy
// interfaces.)
func LoopbackAddress(t testing.TB, path string, addr netip.Prefix) {
	t.Helper()
	h := handle(t, path)
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	ipnet := &net.IPNet{IP: addr.Addr().AsSlice(), Mask: net.CIDRMask(addr.Bits(), addr.Addr().BitLen())}
	if err := h.AddrAdd(lo, &netlink.Addr{IPNet: ipnet}); err != nil {
		t.Fatal(err)
	}
}

// HTTPD starts busybox httpd on port inside the namespace at path, serving
// body at /, and waits until it answers there. Stop kills it.
type HTTPD struct {
	cmd *exec.Cmd
}

// Serve starts an HTTPD; the test's end stops it.
func Serve(t testing.TB, path string, port int, body string) *HTTPD {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("busybox", "httpd", "-f", "-p", fmt.Sprint(port), "-h", dir)
	if err := netns.Start(path, cmd); err != nil {
		t.Fatal(err)
	}
	h := &HTTPD{cmd: cmd}
	t.Cleanup(h.Stop)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := Dial(context.Background(), path, addr, time.Second)
		if err == nil {
			c.Close()
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("httpd on %s in %s: %v", addr, path, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop kills the server and waits for it.
func (h *HTTPD) Stop() {
	if h.cmd.ProcessState != nil {
		return
	}
	_ = h.cmd.Process.Kill()
	_ = h.cmd.Wait()
}

// Dial opens a TCP connection from the namespace at path ("" is the
// host's) to addr.
func Dial(ctx context.Context, path, addr string, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	if path == "" {
		return d.DialContext(ctx, "tcp", addr)
	}
	var c net.Conn
	err := netns.Do(path, func() error {
		var err error
		c, err = d.DialContext(ctx, "tcp", addr)
		return err
	})
	return c, err
}

// Get fetches url from the namespace at path ("" is the host's), on a new
// connection each time, and returns the body.
func Get(ctx context.Context, path, url string) (string, error) {
	client := &http.Client{
		Timeout: 3 * time.Second,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			Proxy:             nil,
			DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
				return Dial(ctx, path, addr, 2*time.Second)
			},
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), nil
}

// Echo serves TCP echo on addr inside the namespace at path until the test
// ends; it returns the listener's address.
func Echo(t testing.TB, path, addr string) string {
	t.Helper()
	var l net.Listener
	if err := netns.Do(path, func() error {
		var err error
		l, err = net.Listen("tcp", addr)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return l.Addr().String()
}

// Eventually calls f until it succeeds or timeout passes, and returns its
// last error.
func Eventually(ctx context.Context, timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(25 * time.Millisecond):
		}
	}
}
