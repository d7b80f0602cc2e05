package client

import (
	"context"
	"net/http"
	"net/url"

	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

// Quotas is the /v1/quotas collection.
type Quotas struct{ c *Client }

// Quotas returns the quota operations.
func (c *Client) Quotas() Quotas { return Quotas{c} }

// List returns the quotas of the caller's project, or of every project when
// allTenants is set (admin only), following `next` links.
func (r Quotas) List(ctx context.Context, allTenants bool) ([]v1.Quota, error) {
	q := url.Values{}
	if allTenants {
		q.Set("all_tenants", "true")
	}
	return collect(ctx, r.c, withQuery(r.c.url("quotas"), q), 0,
		func(p *v1.QuotaList) ([]v1.Quota, string) { return p.Quotas, p.Next })
}

// Get returns a project's quota for a resource ("Cluster").
func (r Quotas) Get(ctx context.Context, projectID, resource string) (*v1.Quota, error) {
	var q v1.Quota
	if err := r.c.call(ctx, http.MethodGet, r.c.url("quotas", projectID, resource), nil, &q); err != nil {
		return nil, err
	}
	return &q, nil
}

// Create creates a quota and returns it.
func (r Quotas) Create(ctx context.Context, in v1.QuotaRequest) (*v1.Quota, error) {
	var q v1.Quota
	if err := r.c.call(ctx, http.MethodPost, r.c.url("quotas"), in, &q); err != nil {
		return nil, err
	}
	return &q, nil
}

// Update replaces a project's quota for a resource and returns it. Fields
// left nil take the server's defaults, as in Magnum.
func (r Quotas) Update(ctx context.Context, projectID, resource string, in v1.QuotaRequest) (*v1.Quota, error) {
	var q v1.Quota
	if err := r.c.call(ctx, http.MethodPatch, r.c.url("quotas", projectID, resource), in, &q); err != nil {
		return nil, err
	}
	return &q, nil
}

// Delete deletes a project's quota for a resource.
func (r Quotas) Delete(ctx context.Context, projectID, resource string) error {
	return r.c.call(ctx, http.MethodDelete, r.c.url("quotas", projectID, resource), nil, nil)
}
