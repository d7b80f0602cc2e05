package kube

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// FieldManager is the server-side apply field manager of every object the
// Client applies.
const FieldManager = "slipway"

// Client settings. The API is on the same host, so a request that takes
// longer than RequestTimeout is a stuck server, not a slow network.
const (
	// RequestTimeout bounds every request to the API.
	RequestTimeout = 15 * time.Second
	// DialTimeout bounds opening a connection to the API.
	DialTimeout = 5 * time.Second
	// QPS and Burst let the Client apply an addon or drain a node in one
	// burst; client-go's defaults (5 and 10) would throttle a drain of a
	// few dozen pods for seconds.
	QPS   = 50
	Burst = 100
)

// pollInterval is how often WaitReady asks /readyz again.
const pollInterval = 500 * time.Millisecond

// Sentinel errors.
var (
	// ErrInvalid wraps every error about a caller's input: credentials,
	// CIDRs, CoreDNS parameters.
	ErrInvalid = errors.New("invalid input")
	// ErrUnreachable means the API could not be reached at all: no
	// connection, a TLS failure or no answer in time.
	ErrUnreachable = errors.New("kubernetes API unreachable")
	// ErrNotReady means the API answered, but /readyz was not ok.
	ErrNotReady = errors.New("kubernetes API not ready")
)

// Credentials reach a cluster's API as its admin.
type Credentials struct {
	// Server is the API's URL, such as https://10.0.0.10:6443.
	Server string
	// CACert is the PEM of the CA that signed the API's serving
	// certificate (the cluster's Kubernetes CA).
	CACert []byte
	// ClientCert and ClientKey are the PEM of the admin's client
	// certificate and key.
	ClientCert []byte
	ClientKey  []byte
}

// validate checks that every field is set and Server is an https URL.
func (c Credentials) validate() error {
	u, err := url.Parse(c.Server)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%w: server %q: want https://host:port", ErrInvalid, c.Server)
	}
	for name, v := range map[string][]byte{"CA certificate": c.CACert, "client certificate": c.ClientCert, "client key": c.ClientKey} {
		if len(bytes.TrimSpace(v)) == 0 {
			return fmt.Errorf("%w: empty %s", ErrInvalid, name)
		}
	}
	return nil
}

// Client acts on one cluster as its admin. It is safe for concurrent use.
type Client struct {
	cs     kubernetes.Interface
	server string
}

// NewClient returns a Client for the cluster the credentials reach. It
// checks the credentials but does not contact the API.
func NewClient(c Credentials) (*Client, error) {
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	dialer := &net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}
	cfg := &rest.Config{
		Host: c.Server,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   c.CACert,
			CertData: c.ClientCert,
			KeyData:  c.ClientKey,
		},
		UserAgent: "slipway",
		Timeout:   RequestTimeout,
		Dial:      dialer.DialContext,
		QPS:       QPS,
		Burst:     Burst,
		// The API is on this host or its cluster network: never go through
		// a proxy from the environment.
		Proxy: func(*http.Request) (*url.URL, error) { return nil, nil },
		// The Client uses GA APIs only; a deprecation warning would go to
		// klog on stderr, where no operator looks.
		WarningHandler: rest.NoWarnings{},
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client for %s: %w: %w", c.Server, ErrInvalid, err)
	}
	return &Client{cs: cs, server: c.Server}, nil
}

// Interface returns the client-go clientset, for what this package does not
// wrap.
func (c *Client) Interface() kubernetes.Interface { return c.cs }

// WaitReady polls the API's /readyz until it answers ok, and returns nil
// then. When ctx ends first, the error wraps ErrNotReady and ctx's error,
// and says why the last answer was not ok: the failing checks, or why the
// API could not be reached.
func (c *Client) WaitReady(ctx context.Context) error {
	last := "no answer yet"
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w: %s: %w", c.server, ErrNotReady, last, context.Cause(ctx))
		case <-timer.C:
		}
		ok, reason, err := c.readyz(ctx)
		switch {
		case ok:
			return nil
		case err != nil && ctx.Err() == nil:
			last = err.Error()
		case err == nil:
			last = reason
		}
		timer.Reset(pollInterval)
	}
}

// readyz asks GET /readyz?verbose. It returns ok when the API answers 200,
// else the failing checks as the reason. err is set, wrapping
// ErrUnreachable, only when no HTTP answer came back at all.
func (c *Client) readyz(ctx context.Context) (ok bool, reason string, err error) {
	res := c.cs.Discovery().RESTClient().Get().AbsPath("/readyz").Param("verbose", "").Do(ctx)
	var code int
	res.StatusCode(&code)
	body, rerr := res.Raw()
	if code == 0 {
		if rerr == nil {
			rerr = errors.New("no answer")
		}
		return false, "", fmt.Errorf("%w: %w", ErrUnreachable, rerr)
	}
	if code == http.StatusOK {
		return true, "ok", nil
	}
	return false, readyzReason(code, body), nil
}

// readyzReason makes one line of a failed /readyz?verbose answer: its
// failing checks, "[-]etcd failed: reason withheld" becoming "etcd failed:
// reason withheld", joined with "; ". An answer with no check lines (a 403,
// a proxy's page) becomes its status and first line.
func readyzReason(code int, body []byte) string {
	var failed []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if check, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "[-]"); ok {
			failed = append(failed, check)
		}
	}
	if len(failed) > 0 {
		return strings.Join(failed, "; ")
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	const maxLen = 200
	if len(first) > maxLen {
		first = first[:maxLen] + "..."
	}
	if first == "" {
		return fmt.Sprintf("readyz answered %d %s", code, http.StatusText(code))
	}
	return fmt.Sprintf("readyz answered %d: %s", code, first)
}
