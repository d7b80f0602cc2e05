package client

import (
	"context"
	"net/http"
	"net/url"

	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

// Stats is the /v1/stats resource.
type Stats struct{ c *Client }

// Stats returns the statistics operations.
func (c *Client) Stats() Stats { return Stats{c} }

// Get counts the clusters and nodes of a project. An empty projectID means
// the caller's project, or every project for an admin.
func (r Stats) Get(ctx context.Context, projectID string) (*v1.Stats, error) {
	q := url.Values{}
	if projectID != "" {
		q.Set("project_id", projectID)
	}
	var s v1.Stats
	if err := r.c.call(ctx, http.MethodGet, withQuery(r.c.url("stats"), q), nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}
