package client

import (
	"context"
	"net/http"

	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

// ClusterTemplates is the /v1/clustertemplates collection.
type ClusterTemplates struct{ c *Client }

// ClusterTemplates returns the cluster template operations.
func (c *Client) ClusterTemplates() ClusterTemplates { return ClusterTemplates{c} }

// List returns cluster templates, following `next` links.
func (r ClusterTemplates) List(ctx context.Context, opts ListOptions) ([]v1.ClusterTemplate, error) {
	return collect(ctx, r.c, withQuery(r.c.url("clustertemplates"), opts.query()), opts.Limit,
		func(p *v1.ClusterTemplateList) ([]v1.ClusterTemplate, string) { return p.ClusterTemplates, p.Next })
}

// Get returns the cluster template with the given UUID or name.
func (r ClusterTemplates) Get(ctx context.Context, idOrName string) (*v1.ClusterTemplate, error) {
	var t v1.ClusterTemplate
	if err := r.c.call(ctx, http.MethodGet, r.c.url("clustertemplates", idOrName), nil, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Create creates a cluster template and returns it.
func (r ClusterTemplates) Create(ctx context.Context, in v1.ClusterTemplateCreate) (*v1.ClusterTemplate, error) {
	var t v1.ClusterTemplate
	if err := r.c.call(ctx, http.MethodPost, r.c.url("clustertemplates"), in, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Update applies a JSON patch to a cluster template and returns the result.
func (r ClusterTemplates) Update(ctx context.Context, idOrName string, patch []v1.PatchOp) (*v1.ClusterTemplate, error) {
	var t v1.ClusterTemplate
	if err := r.c.call(ctx, http.MethodPatch, r.c.url("clustertemplates", idOrName), patch, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// Delete deletes a cluster template.
func (r ClusterTemplates) Delete(ctx context.Context, idOrName string) error {
	return r.c.call(ctx, http.MethodDelete, r.c.url("clustertemplates", idOrName), nil, nil)
}
