package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	orchv1 "github.com/slipway/slipway/pkg/apis/orchestration/v1"
)

// Servers is Slipway's server routes on the orchestration endpoint: the
// live state and console output of the servers that stacks made.
type Servers struct{ c *Client }

// Servers returns the server operations.
func (c *Client) Servers() Servers { return Servers{c} }

// orchestrationURL joins the orchestration endpoint and the escaped path
// segments.
func (c *Client) orchestrationURL(segments ...string) (string, error) {
	base := c.session().orchestration
	if base == "" {
		return "", errors.New("the service catalog has no public orchestration endpoint")
	}
	for _, s := range segments {
		base += "/" + url.PathEscape(s)
	}
	return base, nil
}

// Get returns a server's live state: its status (ERROR, with the reason,
// when its machine's agent died), addresses and boots.
func (r Servers) Get(ctx context.Context, id string) (*orchv1.Server, error) {
	u, err := r.c.orchestrationURL("servers", id)
	if err != nil {
		return nil, err
	}
	var body orchv1.ServerBody
	if err := r.c.call(ctx, http.MethodGet, u, nil, &body); err != nil {
		return nil, err
	}
	return &body.Server, nil
}

// ConsoleLog returns the last lines of a server's console output, all of
// it for lines <= 0.
func (r Servers) ConsoleLog(ctx context.Context, id string, lines int) (string, error) {
	u, err := r.c.orchestrationURL("servers", id, "log")
	if err != nil {
		return "", err
	}
	if lines > 0 {
		u = withQuery(u, url.Values{"lines": {strconv.Itoa(lines)}})
	}
	var out orchv1.ConsoleOutput
	if err := r.c.call(ctx, http.MethodGet, u, nil, &out); err != nil {
		return "", err
	}
	return out.Output, nil
}
