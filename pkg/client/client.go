package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

// DefaultMicroversion is the microversion sent unless WithMicroversion says
// otherwise; like the openstack CLI, the client asks for the newest.
const DefaultMicroversion = "latest"

// requestIDHeader carries the server's request id on every response.
const requestIDHeader = "X-OpenStack-Request-Id"

// Client talks to one Slipway (or Magnum) deployment on behalf of one
// authenticated user. It is safe for concurrent use.
type Client struct {
	cfg              Config
	httpClient       *http.Client
	endpointOverride string
	microversion     string
	userAgent        string

	mu  sync.Mutex
	ses *session
}

// Option customises a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests with hc; Config.Insecure
// is then ignored.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.httpClient = hc }
}

// WithMicroversion sets the container-infra microversion sent with every
// Magnum call, for example "1.9"; the default is "latest".
func WithMicroversion(v string) Option {
	return func(c *Client) { c.microversion = v }
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// WithEndpoint uses u as the Magnum endpoint instead of the one in the
// service catalog.
func WithEndpoint(u string) Option {
	return func(c *Client) { c.endpointOverride = u }
}

// New authenticates with cfg and returns a client for the container-infra
// endpoint found in the token's service catalog.
func New(ctx context.Context, cfg *Config, opts ...Option) (*Client, error) {
	if cfg == nil {
		return nil, errors.New("new client: nil config")
	}
	if cfg.AuthURL == "" {
		return nil, errors.New("new client: no auth URL")
	}
	c := &Client{
		cfg:          *cfg,
		microversion: DefaultMicroversion,
		userAgent:    "slipway-client",
	}
	for _, o := range opts {
		o(c)
	}
	if c.httpClient == nil {
		c.httpClient = defaultHTTPClient(cfg.Insecure)
	}
	s, err := c.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	c.ses = s
	return c, nil
}

func defaultHTTPClient(insecure bool) *http.Client {
	if !insecure {
		return &http.Client{}
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for it
	return &http.Client{Transport: t}
}

// Endpoint returns the Magnum endpoint in use, ending in /v1.
func (c *Client) Endpoint() string {
	return c.session().endpoint
}

// ProjectID returns the id of the project the token is scoped to, or "" for
// an unscoped token.
func (c *Client) ProjectID() string {
	return c.session().projectID
}

func (c *Client) session() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ses
}

// reauthenticate replaces the session unless another caller already
// replaced stale.
func (c *Client) reauthenticate(ctx context.Context, stale *session) (*session, error) {
	c.mu.Lock()
	current := c.ses
	c.mu.Unlock()
	if current != stale {
		return current, nil
	}
	s, err := c.authenticate(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.ses = s
	c.mu.Unlock()
	return s, nil
}

// APIError is a non-2xx response from the server.
type APIError struct {
	// StatusCode is the HTTP status code.
	StatusCode int
	// Message is the server's explanation.
	Message string
	// RequestID is the server's request id, if it sent one.
	RequestID string
}

// Error implements error.
func (e *APIError) Error() string {
	if e.RequestID == "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Message, e.StatusCode)
	}
	return fmt.Sprintf("%s (HTTP %d, request %s)", e.Message, e.StatusCode, e.RequestID)
}

// IsNotFound reports whether err is, or wraps, an APIError with status 404.
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.StatusCode == http.StatusNotFound
}

// keystoneErrorBody is Keystone's (and keystonemiddleware's) error body.
type keystoneErrorBody struct {
	Error *struct {
		Code    int    `json:"code"`
		Title   string `json:"title"`
		Message string `json:"message"`
	} `json:"error"`
}

// newAPIError decodes a Magnum or Keystone error body.
func newAPIError(resp *http.Response, body []byte) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, RequestID: resp.Header.Get(requestIDHeader)}
	var mb v1.ErrorBody
	var kb keystoneErrorBody
	switch {
	case json.Unmarshal(body, &mb) == nil && len(mb.Errors) > 0:
		e.Message = mb.Message()
		if e.RequestID == "" {
			e.RequestID = mb.Errors[0].RequestID
		}
	case json.Unmarshal(body, &kb) == nil && kb.Error != nil:
		e.Message = kb.Error.Message
		if e.Message == "" {
			e.Message = kb.Error.Title
		}
	case len(body) > 0 && !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) && len(body) < 512:
		e.Message = strings.TrimSpace(string(body))
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// url joins the endpoint and the escaped path segments.
func (c *Client) url(segments ...string) string {
	var b strings.Builder
	b.WriteString(c.session().endpoint)
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// resolve turns a `next` link into a URL on the client's endpoint: like
// magnumclient it keeps the link's path and query and replaces the scheme
// and host, so links built behind a proxy still work.
func (c *Client) resolve(next string) (string, error) {
	base, err := url.Parse(c.session().endpoint)
	if err != nil {
		return "", fmt.Errorf("parse endpoint: %w", err)
	}
	n, err := url.Parse(next)
	if err != nil {
		return "", fmt.Errorf("parse next link %q: %w", next, err)
	}
	if !n.IsAbs() {
		return base.ResolveReference(n).String(), nil
	}
	n.Scheme, n.Host, n.User = base.Scheme, base.Host, base.User
	return n.String(), nil
}

// call sends one Magnum request to rawURL. It encodes in as the JSON body
// unless in is nil, decodes a 2xx response into out unless out is nil, and
// turns any other response into an *APIError. A 401 triggers one
// re-authentication and retry.
func (c *Client) call(ctx context.Context, method, rawURL string, in, out any) error {
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, rawURL, err)
		}
		body = b
	}
	s := c.session()
	resp, data, err := c.send(ctx, s, method, rawURL, body)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		if s, err = c.reauthenticate(ctx, s); err != nil {
			return err
		}
		// The retry keeps rawURL, built from the old catalog's endpoint.
		resp, data, err = c.send(ctx, s, method, rawURL, body)
	}
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return newAPIError(resp, data)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode %s %s: %w", method, rawURL, err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, s *session, method, rawURL string, body []byte) (*http.Response, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, r)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, rawURL, err)
	}
	req.Header.Set("X-Auth-Token", s.token)
	req.Header.Set(v1.VersionHeader, v1.ServiceType+" "+c.microversion)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, rawURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: read response: %w", method, rawURL, err)
	}
	return resp, data, nil
}

// ListOptions page and sort a collection. A zero Limit fetches every page;
// a positive Limit is both the page size and the most items returned.
type ListOptions struct {
	Limit   int
	Marker  string
	SortKey string
	SortDir string
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Marker != "" {
		q.Set("marker", o.Marker)
	}
	if o.SortKey != "" {
		q.Set("sort_key", o.SortKey)
	}
	if o.SortDir != "" {
		q.Set("sort_dir", o.SortDir)
	}
	return q
}

// withQuery appends q to u.
func withQuery(u string, q url.Values) string {
	if len(q) == 0 {
		return u
	}
	return u + "?" + q.Encode()
}

// collect GETs first and follows `next` links, gathering items until there
// is no next page or limit (if positive) items are in hand.
func collect[T, P any](ctx context.Context, c *Client, first string, limit int, page func(*P) ([]T, string)) ([]T, error) {
	all := []T{}
	seen := map[string]bool{}
	for u := first; u != ""; {
		var p P
		if err := c.call(ctx, http.MethodGet, u, nil, &p); err != nil {
			return nil, err
		}
		items, next := page(&p)
		all = append(all, items...)
		if limit > 0 && len(all) >= limit {
			return all[:limit], nil
		}
		if next == "" || len(items) == 0 || seen[next] {
			break
		}
		seen[next] = true
		var err error
		if u, err = c.resolve(next); err != nil {
			return nil, err
		}
	}
	return all, nil
}
