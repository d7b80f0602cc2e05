package node

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// endpointClient returns an HTTP client for an endpoint: the system's roots, or the
// endpoint's own CA bundle. It never uses a proxy: a machine talks only to
// addresses of its own cluster network.
func endpointClient(caPEM string) (*http.Client, error) {
	tr := &http.Transport{
		Proxy:               nil,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns:        2,
		IdleConnTimeout:     30 * time.Second,
	}
	if caPEM != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(caPEM)) {
			return nil, errors.New("ca_cert holds no PEM certificate")
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, nil
}

// send sends body to the endpoint and fails on a non-2xx answer.
func (e *Endpoint) send(ctx context.Context, body []byte) error {
	c, err := endpointClient(e.CACert)
	if err != nil {
		return fmt.Errorf("signal %s: %w", e.URL, err)
	}
	defer c.CloseIdleConnections()
	method := e.Method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, e.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("signal %s: %w", e.URL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	for k, v := range e.Headers {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("signal %s: %w", e.URL, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("signal %s: %s: %s", e.URL, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// fetch GETs the endpoint's document and fails on a non-2xx answer.
func (e *Endpoint) fetch(ctx context.Context) ([]byte, error) {
	c, err := endpointClient(e.CACert)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", e.URL, err)
	}
	defer c.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", e.URL, err)
	}
	for k, v := range e.Headers {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", e.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", e.URL, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, &statusError{code: resp.StatusCode,
			msg: fmt.Sprintf("fetch %s: %s: %s", e.URL, resp.Status, bytes.TrimSpace(body[:min(len(body), 512)]))}
	}
	return body, nil
}

// statusError is an HTTP answer that is not a success.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

// final reports whether asking again cannot help: a 4xx answer other than
// 408 and 429.
func (e *statusError) final() bool {
	return e.code/100 == 4 && e.code != http.StatusRequestTimeout && e.code != http.StatusTooManyRequests
}
