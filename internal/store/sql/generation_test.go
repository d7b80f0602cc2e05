package sql_test

import (
	"testing"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
	storesql "github.com/slipway/slipway/internal/store/sql"
)

func TestGenerationSQLite(t *testing.T) {
	t.Parallel()
	testGeneration(t, openSQLite(t))
}

func TestGenerationPostgres(t *testing.T) {
	t.Parallel()
	testGeneration(t, openPostgres(t))
}

// testGeneration checks that every kind of write bumps its kind's
// generation, and only on commit.
func testGeneration(t *testing.T, s *storesql.Store) {
	ctx := t.Context()
	gen := func(kinds ...model.Kind) int64 {
		t.Helper()
		g, err := s.Generation(ctx, kinds...)
		if err != nil {
			t.Fatalf("Generation: %v", err)
		}
		return g
	}
	changed := func(what string, before int64, kinds ...model.Kind) int64 {
		t.Helper()
		after := gen(kinds...)
		if after == before {
			t.Fatalf("%s: generation of %v unchanged at %d", what, kinds, after)
		}
		return after
	}
	g := gen(model.KindCluster)
	ng := gen(model.KindNodeGroup)

	c := &model.Cluster{Name: "a", ProjectID: "p"}
	if err := s.Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	g = changed("create", g, model.KindCluster)
	c.NodeCount = 3
	if err := s.Update(ctx, c); err != nil {
		t.Fatal(err)
	}
	changed("update", g, model.KindCluster)
	if gen(model.KindNodeGroup) != ng {
		t.Fatal("a cluster write changed the nodegroup generation")
	}
	both := gen(model.KindCluster, model.KindNodeGroup)
	if err := s.InTx(ctx, func(tx store.Writer) error {
		if err := tx.Create(ctx, &model.NodeGroup{Name: "w", ClusterID: c.UUID}); err != nil {
			return err
		}
		return tx.Create(ctx, &model.Cluster{Name: "b", ProjectID: "p"})
	}); err != nil {
		t.Fatal(err)
	}
	changed("transaction", both, model.KindCluster, model.KindNodeGroup)
	g = gen(model.KindCluster)
	if err := s.InTx(ctx, func(tx store.Writer) error {
		if err := tx.Create(ctx, &model.Cluster{Name: "c"}); err != nil {
			return err
		}
		return store.ErrNotFound
	}); err == nil {
		t.Fatal("InTx: no error")
	}
	if gen(model.KindCluster) != g {
		t.Fatal("a rolled back write changed the generation")
	}
	if err := s.Delete(ctx, model.KindCluster, c.UUID); err != nil {
		t.Fatal(err)
	}
	g = changed("delete", g, model.KindCluster)
	if _, err := s.DeleteWhere(ctx, model.KindCluster, store.Query{ProjectID: "p"}); err != nil {
		t.Fatal(err)
	}
	changed("delete where", g, model.KindCluster)
}
