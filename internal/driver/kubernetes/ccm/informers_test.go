package ccm

import (
	"slices"
	"testing"

	"k8s.io/client-go/tools/cache"
)

func TestLaterAddsSkipsInitialList(t *testing.T) {
	t.Parallel()
	var got []string
	h := laterAdds{cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { got = append(got, "add "+obj.(string)) },
		UpdateFunc: func(_, obj any) { got = append(got, "update "+obj.(string)) },
		DeleteFunc: func(obj any) { got = append(got, "delete "+obj.(string)) },
	}}
	h.OnAdd("listed", true)
	h.OnAdd("new", false)
	h.OnUpdate("listed", "listed")
	h.OnDelete("new")
	if want := []string{"add new", "update listed", "delete new"}; !slices.Equal(got, want) {
		t.Errorf("events passed on = %v, want %v", got, want)
	}
}
