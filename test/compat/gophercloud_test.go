package compat

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/containerinfra/v1/certificates"
	"github.com/gophercloud/gophercloud/v2/openstack/containerinfra/v1/clusters"
	"github.com/gophercloud/gophercloud/v2/openstack/containerinfra/v1/clustertemplates"
	"github.com/gophercloud/gophercloud/v2/openstack/containerinfra/v1/nodegroups"
	"github.com/gophercloud/gophercloud/v2/openstack/containerinfra/v1/quotas"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/projects"
	"github.com/gophercloud/gophercloud/v2/pagination"

	"github.com/slipway/slipway/internal/pki"
	"github.com/slipway/slipway/internal/server/servertest"
)

// containerInfra authenticates as the admin and returns a container-infra
// client found through the service catalog, as any gophercloud user would.
func containerInfra(t *testing.T, env *servertest.Env, user, password, project string) (*gophercloud.ProviderClient, *gophercloud.ServiceClient) {
	t.Helper()
	pc, err := openstack.AuthenticatedClient(t.Context(), gophercloud.AuthOptions{
		IdentityEndpoint: env.AuthURL, Username: user, Password: password,
		TenantName: project, DomainName: "Default",
	})
	if err != nil {
		t.Fatalf("authenticate as %s: %v", user, err)
	}
	sc, err := openstack.NewContainerInfraV1(pc, gophercloud.EndpointOpts{})
	if err != nil {
		t.Fatalf("find container-infra endpoint: %v", err)
	}
	return pc, sc
}

func waitCluster(t *testing.T, sc *gophercloud.ServiceClient, id, want string) *clusters.Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	for {
		c, err := clusters.Get(ctx, sc, id).Extract()
		if want == "deleted" && gophercloud.ResponseCodeIs(err, http.StatusNotFound) {
			return nil
		}
		if err != nil {
			t.Fatalf("get cluster %s: %v", id, err)
		}
		if c.Status == want {
			return c
		}
		if strings.HasSuffix(c.Status, "FAILED") {
			t.Fatalf("cluster %s is %s: %s", id, c.Status, c.StatusReason)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("cluster %s still %s, want %s", id, c.Status, want)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestGophercloudClusterLifecycle(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := t.Context()
	_, sc := containerInfra(t, env, "admin", servertest.AdminPassword, "admin")

	// Templates, as gophercloud's acceptance test does them.
	fip, lb, public := false, false, false
	tmpl, err := clustertemplates.Create(ctx, sc, clustertemplates.CreateOpts{
		Name: "k8s", COE: "kubernetes", ImageID: "slipway-node", FlavorID: "m1.small",
		MasterFlavorID: "m1.small", ExternalNetworkID: "public", DNSNameServer: "10.0.0.53",
		DockerStorageDriver: "overlay2", FloatingIPEnabled: &fip, MasterLBEnabled: &lb, Public: &public,
		ServerType: "vm", Labels: map[string]string{"test": "test"},
	}).Extract()
	if err != nil {
		t.Fatalf("create template: %v", err)
	}
	if tmpl.ImageID != "slipway-node" || tmpl.Labels["test"] != "test" || tmpl.ClusterDistro != "debian" {
		t.Fatalf("template echo: image %q labels %v distro %q", tmpl.ImageID, tmpl.Labels, tmpl.ClusterDistro)
	}
	updated, err := clustertemplates.Update(ctx, sc, tmpl.UUID, []clustertemplates.UpdateOpts{
		{Op: clustertemplates.ReplaceOp, Path: "/master_lb_enabled", Value: "false"},
		{Op: clustertemplates.AddOp, Path: "/labels/extra", Value: "yes"},
	}).Extract()
	if err != nil {
		t.Fatalf("update template: %v", err)
	}
	if updated.Labels["extra"] != "yes" || updated.MasterLBEnabled {
		t.Fatalf("patched template: labels %v master_lb %v", updated.Labels, updated.MasterLBEnabled)
	}
	var names []string
	err = clustertemplates.List(sc, nil).EachPage(ctx, func(_ context.Context, p pagination.Page) (bool, error) {
		ts, err := clustertemplates.ExtractClusterTemplates(p)
		for _, t := range ts {
			names = append(names, t.Name)
		}
		return true, err
	})
	if err != nil || !slices.Contains(names, "k8s") {
		t.Fatalf("list templates: %v %v", names, err)
	}

	// A cluster: created, resized, its nodegroups, its CA, then deleted.
	master, node := 1, 2
	id, err := clusters.Create(ctx, sc, clusters.CreateOpts{
		Name: "c1", ClusterTemplateID: tmpl.UUID, MasterCount: &master, NodeCount: &node,
	}).Extract()
	if err != nil {
		t.Fatalf("create cluster: %v", err)
	}
	c := waitCluster(t, sc, id, "CREATE_COMPLETE")
	if c.NodeCount != 2 || c.MasterCount != 1 || len(c.NodeAddresses) != 2 || c.APIAddress == "" || c.StackID == "" {
		t.Fatalf("created cluster: %+v", c)
	}
	if _, err := clusters.Update(ctx, sc, id, []clusters.UpdateOpts{{Op: clusters.ReplaceOp, Path: "/node_count", Value: 3}}).Extract(); err != nil {
		t.Fatalf("update node_count: %v", err)
	}
	if c = waitCluster(t, sc, id, "UPDATE_COMPLETE"); c.NodeCount != 3 {
		t.Fatalf("node_count after update = %d, want 3", c.NodeCount)
	}

	sc.Microversion = "1.9"
	four := 4
	if _, err := clusters.Resize(ctx, sc, id, clusters.ResizeOpts{NodeCount: &four}).Extract(); err != nil {
		t.Fatalf("resize: %v", err)
	}
	if c = waitCluster(t, sc, id, "UPDATE_COMPLETE"); c.NodeCount != 4 {
		t.Fatalf("node_count after resize = %d, want 4", c.NodeCount)
	}
	pages, err := nodegroups.List(sc, id, nil).AllPages(ctx)
	if err != nil {
		t.Fatalf("list nodegroups: %v", err)
	}
	ngs, _ := nodegroups.ExtractNodeGroups(pages)
	if len(ngs) != 2 {
		t.Fatalf("a new cluster has %d nodegroups, want 2", len(ngs))
	}
	one := 1
	ng, err := nodegroups.Create(ctx, sc, id, nodegroups.CreateOpts{Name: "extra", NodeCount: &one}).Extract()
	if err != nil {
		t.Fatalf("create nodegroup: %v", err)
	}
	waitCluster(t, sc, id, "UPDATE_COMPLETE")
	ng, err = nodegroups.Update(ctx, sc, id, ng.UUID, []nodegroups.UpdateOpts{{Op: nodegroups.ReplaceOp, Path: "/max_node_count", Value: 5}}).Extract()
	if err != nil || ng.MaxNodeCount == nil || *ng.MaxNodeCount != 5 {
		t.Fatalf("update nodegroup: %v %+v", err, ng)
	}
	got, err := nodegroups.Get(ctx, sc, id, "extra").Extract()
	if err != nil || got.Status != "CREATE_COMPLETE" || got.NodeCount != 1 {
		t.Fatalf("get nodegroup by name: %v %+v", err, got)
	}
	if err := nodegroups.Delete(ctx, sc, id, ng.UUID).ExtractErr(); err != nil {
		t.Fatalf("delete nodegroup: %v", err)
	}
	waitCluster(t, sc, id, "UPDATE_COMPLETE")
	if _, err := nodegroups.Get(ctx, sc, id, ng.UUID).Extract(); !gophercloud.ResponseCodeIs(err, http.StatusNotFound) {
		t.Fatalf("deleted nodegroup: %v", err)
	}

	ca, err := certificates.Get(ctx, sc, id).Extract()
	if err != nil || !strings.Contains(ca.PEM, "BEGIN CERTIFICATE") {
		t.Fatalf("get CA: %v", err)
	}
	csr, _, err := pki.NewCSR("admin", []string{"system:masters"})
	if err != nil {
		t.Fatal(err)
	}
	signed, err := certificates.Create(ctx, sc, certificates.CreateOpts{ClusterUUID: id, CSR: string(csr)}).Extract()
	if err != nil || !strings.Contains(signed.PEM, "BEGIN CERTIFICATE") || signed.CSR != string(csr) {
		t.Fatalf("sign CSR: %v", err)
	}

	if err := clusters.Delete(ctx, sc, id).ExtractErr(); err != nil {
		t.Fatalf("delete cluster: %v", err)
	}
	waitCluster(t, sc, id, "deleted")
	if _, err := certificates.Get(ctx, sc, id).Extract(); !gophercloud.ResponseCodeIs(err, http.StatusNotFound) {
		t.Fatalf("CA of a deleted cluster: %v", err)
	}
	if err := clustertemplates.Delete(ctx, sc, tmpl.UUID).ExtractErr(); err != nil {
		t.Fatalf("delete template: %v", err)
	}
}

func TestGophercloudQuota(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := t.Context()
	pc, sc := containerInfra(t, env, "admin", servertest.AdminPassword, "admin")
	idc, err := openstack.NewIdentityV3(pc, gophercloud.EndpointOpts{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := projects.Create(ctx, idc, projects.CreateOpts{Name: "quota-project"}).Extract()
	if err != nil {
		t.Fatalf("create project: %v", err)
	}
	res := quotas.Create(ctx, sc, quotas.CreateOpts{ProjectID: p.ID, Resource: "Cluster", HardLimit: 10})
	q, err := res.Extract()
	if err != nil {
		t.Fatalf("create quota: %v", err)
	}
	if q.ProjectID != p.ID || q.HardLimit != 10 || q.Resource != "Cluster" {
		t.Fatalf("quota echo: %+v", q)
	}
	if res.Header.Get("X-OpenStack-Request-Id") == "" {
		t.Fatal("no request id on quota create")
	}
	_, err = quotas.Create(ctx, sc, quotas.CreateOpts{ProjectID: p.ID, Resource: "Cluster", HardLimit: 3}).Extract()
	if !gophercloud.ResponseCodeIs(err, http.StatusConflict) {
		t.Fatalf("duplicate quota: %v, want 409", err)
	}
	var ue gophercloud.ErrUnexpectedResponseCode
	_, err = quotas.Create(ctx, sc, quotas.CreateOpts{ProjectID: "no-such-project", Resource: "Cluster", HardLimit: 3}).Extract()
	if !errors.As(err, &ue) || ue.Actual != http.StatusNotFound {
		t.Fatalf("quota for unknown project: %v, want 404", err)
	}
}
