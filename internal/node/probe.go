package node

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// check runs the probe once and returns nil when the service is ready.
func (p *Probe) check(ctx context.Context, r *reaper, env []string) error {
	timeout := p.Timeout.or(2 * time.Second)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch {
	case len(p.Exec) > 0:
		return execProbe(ctx, r, p.Exec, env)
	case p.HTTP != "":
		return httpProbe(ctx, p.HTTP, timeout)
	case p.TCP != "":
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", p.TCP)
		if err != nil {
			return fmt.Errorf("tcp %s: %w", p.TCP, err)
		}
		return c.Close()
	}
	return fmt.Errorf("empty probe")
}

func httpProbe(ctx context.Context, url string, timeout time.Duration) error {
	tr := &http.Transport{
		Proxy:             nil,
		DisableKeepAlives: true,
		// A readiness probe asks whether the service answers, as kubelet's
		// does; it does not authenticate it.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // see above
	}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: timeout}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("http %s: %w", url, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("http %s: %w", url, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return fmt.Errorf("http %s: %s", url, resp.Status)
	}
	return nil
}

func execProbe(ctx context.Context, r *reaper, argv, env []string) error {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer devnull.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, nil, nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pid, exit, err := r.start(cmd)
	if err != nil {
		return fmt.Errorf("exec %s: %w", argv[0], err)
	}
	select {
	case st := <-exit:
		if st.Code() != 0 {
			return fmt.Errorf("exec %s: %s", argv[0], st)
		}
		return nil
	case <-ctx.Done():
		_ = unix.Kill(-pid, unix.SIGKILL)
		<-exit
		return fmt.Errorf("exec %s: %w", argv[0], ctx.Err())
	}
}
