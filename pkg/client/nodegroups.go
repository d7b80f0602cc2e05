package client

import (
	"context"
	"net/http"
	"net/url"

	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

// NodeGroups is the /v1/clusters/{cluster}/nodegroups collection.
type NodeGroups struct{ c *Client }

// NodeGroups returns the nodegroup operations.
func (c *Client) NodeGroups() NodeGroups { return NodeGroups{c} }

// List returns the nodegroups of a cluster, only those with the given role
// unless role is empty, following `next` links.
func (r NodeGroups) List(ctx context.Context, cluster, role string) ([]v1.NodeGroupSummary, error) {
	q := url.Values{}
	if role != "" {
		q.Set("role", role)
	}
	return collect(ctx, r.c, withQuery(r.c.url("clusters", cluster, "nodegroups"), q), 0,
		func(p *v1.NodeGroupList) ([]v1.NodeGroupSummary, string) { return p.NodeGroups, p.Next })
}

// Get returns one nodegroup of a cluster, by id, UUID or name.
func (r NodeGroups) Get(ctx context.Context, cluster, nodegroup string) (*v1.NodeGroup, error) {
	var ng v1.NodeGroup
	if err := r.c.call(ctx, http.MethodGet, r.c.url("clusters", cluster, "nodegroups", nodegroup), nil, &ng); err != nil {
		return nil, err
	}
	return &ng, nil
}

// Create adds a nodegroup to a cluster and returns it.
func (r NodeGroups) Create(ctx context.Context, cluster string, in v1.NodeGroupCreate) (*v1.NodeGroup, error) {
	var ng v1.NodeGroup
	if err := r.c.call(ctx, http.MethodPost, r.c.url("clusters", cluster, "nodegroups"), in, &ng); err != nil {
		return nil, err
	}
	return &ng, nil
}

// Update applies a JSON patch to a nodegroup and returns it.
func (r NodeGroups) Update(ctx context.Context, cluster, nodegroup string, patch []v1.PatchOp) (*v1.NodeGroup, error) {
	var ng v1.NodeGroup
	if err := r.c.call(ctx, http.MethodPatch, r.c.url("clusters", cluster, "nodegroups", nodegroup), patch, &ng); err != nil {
		return nil, err
	}
	return &ng, nil
}

// Delete deletes a nodegroup. Deletion is asynchronous: the nodegroup is
// gone when Get returns a not-found error.
func (r NodeGroups) Delete(ctx context.Context, cluster, nodegroup string) error {
	return r.c.call(ctx, http.MethodDelete, r.c.url("clusters", cluster, "nodegroups", nodegroup), nil, nil)
}
