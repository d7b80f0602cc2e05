package engine

import (
	"testing"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/store"
)

func TestCoalesceFoldsWritesOfOneObject(t *testing.T) {
	t.Parallel()
	rec := func(id, reason string) *model.StackResource {
		return &model.StackResource{Meta: model.Meta{UUID: id}, StatusReason: reason}
	}
	ev := &model.StackEvent{Reason: "event"}
	ops := []op{
		createOp(rec("a", "a1")), createOp(ev), updateOp(rec("a", "a2")), createOp(ev),
		updateOp(rec("b", "b1")), updateOp(rec("b", "b2")),
		createOp(rec("c", "c1")), deleteOp(model.KindStackResource, "c"),
		updateOp(rec("d", "d1")), deleteOp(model.KindStackResource, "d"),
		deleteWhereOp(model.KindStackSignal, store.Query{Parent: "d"}),
	}
	got := coalesce(ops)
	var desc []string
	for _, o := range got {
		switch o.kind {
		case opCreate, opUpdate:
			kind := "create"
			if o.kind == opUpdate {
				kind = "update"
			}
			switch obj := o.obj.(type) {
			case *model.StackResource:
				desc = append(desc, kind+" "+obj.UUID+"="+obj.StatusReason)
			case *model.StackEvent:
				desc = append(desc, kind+" event")
			}
		case opDelete:
			desc = append(desc, "delete "+o.uuid)
		case opDeleteWhere:
			desc = append(desc, "delete where")
		}
	}
	want := []string{"create a=a2", "create event", "create event", "update b=b2", "delete d", "delete where"}
	if len(desc) != len(want) {
		t.Fatalf("coalesce gave %v, want %v", desc, want)
	}
	for i := range want {
		if desc[i] != want[i] {
			t.Fatalf("coalesce gave %v, want %v", desc, want)
		}
	}
}
