package main

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"

	"github.com/google/uuid"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/secrets"
	"github.com/slipway/slipway/internal/store"
	storesql "github.com/slipway/slipway/internal/store/sql"
)

// seedStatuses is the mix of statuses the seeded clusters cycle through:
// mostly settled clusters, as in a long-lived cloud.
var seedStatuses = []model.Status{
	model.CreateComplete, model.CreateComplete, model.CreateComplete, model.UpdateComplete,
	model.CreateComplete, model.CreateComplete, model.UpdateInProgress, model.CreateFailed,
}

// seedOwner is whom the seeded clusters belong to.
type seedOwner struct {
	ProjectID string
	UserID    string
}

// seedClusters stores n clusters, each with its two default nodegroups, in
// the store of a stopped server: the SQLite database of dataDir, or the
// PostgreSQL database dsn when it is set. It writes them in one transaction.
func seedClusters(ctx context.Context, dataDir, dsn string, n int, owner seedOwner, tmplID string) error {
	key, err := secrets.LoadOrCreateKey(filepath.Join(dataDir, "secret.key"))
	if err != nil {
		return fmt.Errorf("seed clusters: %w", err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		return fmt.Errorf("seed clusters: %w", err)
	}
	if dsn == "" {
		dsn = filepath.Join(dataDir, "slipway.db")
	}
	st, err := storesql.Open(ctx, dsn, box)
	if err != nil {
		return fmt.Errorf("seed clusters: open store: %w", err)
	}
	defer st.Close()
	err = st.InTx(ctx, func(tx store.Writer) error {
		for i := range n {
			c, ngs := benchCluster(i, owner, tmplID)
			if err := tx.Create(ctx, c); err != nil {
				return err
			}
			for _, ng := range ngs {
				ng.ClusterID = c.UUID
				if err := tx.Create(ctx, ng); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed clusters: %w", err)
	}
	return nil
}

// benchCluster returns the i-th seeded cluster and its nodegroups, with the
// fields a cluster that a conductor has built carries: addresses, versions,
// a stack and rolled-up counts.
func benchCluster(i int, owner seedOwner, tmplID string) (*model.Cluster, []*model.NodeGroup) {
	status := seedStatuses[i%len(seedStatuses)]
	size := 50
	ip := func(host int) string { return fmt.Sprintf("10.%d.%d.%d", i/250, i%250, host) }
	c := &model.Cluster{
		Name: fmt.Sprintf("bench-%04d", i), ProjectID: owner.ProjectID, UserID: owner.UserID,
		ClusterTemplateID: tmplID, DockerVolumeSize: &size, Labels: maps.Clone(templateLabels),
		MasterFlavorID: "2", FlavorID: "3", CreateTimeout: 60, FloatingIPEnabled: true,
		MasterLBEnabled: true, Status: status, HealthStatus: model.HealthHealthy,
		APIAddress: "https://" + ip(2) + ":6443", COEVersion: "v1.30.4", ContainerVersion: "1.7.20",
		StackID: uuid.NewString(), Operation: model.OpCreate,
	}
	if status.Failed() {
		c.StatusReason = "Timed out waiting for nodes to become ready."
		c.HealthStatus = model.HealthUnknown
	}
	masters, workers := 1+2*(i%2), 1+i%5
	ng := func(name, role string, count, first int) *model.NodeGroup {
		g := &model.NodeGroup{
			Name: name, ProjectID: owner.ProjectID, Labels: maps.Clone(templateLabels), FlavorID: c.FlavorID,
			NodeCount: count, Role: role, MinNodeCount: 1, IsDefault: true, StackID: uuid.NewString(),
			Status: status, Version: c.COEVersion, Operation: model.OpCreate,
		}
		if role == model.RoleMaster {
			g.FlavorID = c.MasterFlavorID
		}
		for h := range count {
			g.NodeAddresses = append(g.NodeAddresses, ip(first+h))
		}
		return g
	}
	ngs := []*model.NodeGroup{
		ng(model.DefaultMasterNodeGroup, model.RoleMaster, masters, 10),
		ng(model.DefaultWorkerNodeGroup, model.RoleWorker, workers, 20),
	}
	c.RollUp(ngs)
	return c, ngs
}
