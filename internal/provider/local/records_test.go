package local

import (
	"testing"
)

// TestStoreRecords keeps records in Slipway's store: put, replace, list
// by kind, and delete, a missing record included.
func TestStoreRecords(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := Records(openStore(t))
	for _, rec := range []struct{ kind, id, data string }{
		{"port", "p1", `{"v":1}`},
		{"port", "p2", `{"v":2}`},
		{"router", "p1", `{"r":1}`},
		{"port", "p1", `{"v":3}`},
	} {
		if err := s.Put(ctx, rec.kind, rec.id, []byte(rec.data)); err != nil {
			t.Fatal(err)
		}
	}
	ports, err := s.List(ctx, "port")
	if err != nil {
		t.Fatal(err)
	}
	if len(ports) != 2 || string(ports["p1"]) != `{"v":3}` || string(ports["p2"]) != `{"v":2}` {
		t.Fatalf("ports: %q", ports)
	}
	for range 2 {
		if err := s.Delete(ctx, "port", "p1"); err != nil {
			t.Fatal(err)
		}
	}
	ports, _ = s.List(ctx, "port")
	routers, _ := s.List(ctx, "router")
	if len(ports) != 1 || len(routers) != 1 || string(routers["p1"]) != `{"r":1}` {
		t.Fatalf("after delete: ports %q, routers %q", ports, routers)
	}
}
