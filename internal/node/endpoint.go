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
