package client

import (
	"context"
	"net/http"

	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

// Clusters is the /v1/clusters collection.
type Clusters struct{ c *Client }

// Clusters returns the cluster operations.
func (c *Client) Clusters() Clusters { return Clusters{c} }

// List returns the compact view of clusters, following `next` links.
func (r Clusters) List(ctx context.Context, opts ListOptions) ([]v1.ClusterSummary, error) {
	return collect(ctx, r.c, withQuery(r.c.url("clusters"), opts.query()), opts.Limit,
		func(p *v1.ClusterList) ([]v1.ClusterSummary, string) { return p.Clusters, p.Next })
}

// ListDetail returns the full view of clusters, following `next` links.
func (r Clusters) ListDetail(ctx context.Context, opts ListOptions) ([]v1.Cluster, error) {
	return collect(ctx, r.c, withQuery(r.c.url("clusters", "detail"), opts.query()), opts.Limit,
		func(p *v1.ClusterDetailList) ([]v1.Cluster, string) { return p.Clusters, p.Next })
}

// Get returns the cluster with the given UUID or name.
func (r Clusters) Get(ctx context.Context, idOrName string) (*v1.Cluster, error) {
	var cl v1.Cluster
	if err := r.c.call(ctx, http.MethodGet, r.c.url("clusters", idOrName), nil, &cl); err != nil {
		return nil, err
	}
	return &cl, nil
}

// Create asks for a new cluster and returns its UUID. The cluster is built
// asynchronously; poll Get for its status.
func (r Clusters) Create(ctx context.Context, in v1.ClusterCreate) (string, error) {
	return r.action(ctx, http.MethodPost, r.c.url("clusters"), in)
}

// Update applies a JSON patch to a cluster and returns its UUID.
func (r Clusters) Update(ctx context.Context, idOrName string, patch []v1.PatchOp) (string, error) {
	return r.action(ctx, http.MethodPatch, r.c.url("clusters", idOrName), patch)
}

// Delete asks for a cluster to be deleted. Deletion is asynchronous: the
// cluster is gone when Get returns a not-found error.
func (r Clusters) Delete(ctx context.Context, idOrName string) error {
	return r.c.call(ctx, http.MethodDelete, r.c.url("clusters", idOrName), nil, nil)
}

// Resize changes the node count of a nodegroup (by default the default
// worker nodegroup) and returns the cluster's UUID.
func (r Clusters) Resize(ctx context.Context, idOrName string, in v1.ResizeRequest) (string, error) {
	return r.action(ctx, http.MethodPost, r.c.url("clusters", idOrName, "actions", "resize"), in)
}

// Upgrade moves a cluster (or one nodegroup) to another cluster template and
// returns the cluster's UUID.
func (r Clusters) Upgrade(ctx context.Context, idOrName string, in v1.UpgradeRequest) (string, error) {
	return r.action(ctx, http.MethodPost, r.c.url("clusters", idOrName, "actions", "upgrade"), in)
}

func (r Clusters) action(ctx context.Context, method, u string, in any) (string, error) {
	var out v1.UUIDResponse
	if err := r.c.call(ctx, method, u, in, &out); err != nil {
		return "", err
	}
	return out.UUID, nil
}
