package policy

import (
	"errors"
	"testing"

	"github.com/slipway/slipway/internal/model"
)

func TestAllowed(t *testing.T) {
	t.Parallel()
	adminS := Subject{UserID: "a", ProjectID: "p0", Roles: []string{"admin", "member", "reader"}}
	memberS := Subject{UserID: "m", ProjectID: "p1", Roles: []string{"member", "reader"}}
	readerS := Subject{UserID: "r", ProjectID: "p1", Roles: []string{"reader"}}
	own := Target{ProjectID: "p1", UserID: "m"}
	other := Target{ProjectID: "p2", UserID: "x"}
	tests := []struct {
		name   string
		action string
		s      Subject
		t      Target
		want   bool
	}{
		{"member creates cluster in own project", "cluster:create", memberS, own, true},
		{"reader cannot create cluster", "cluster:create", readerS, own, false},
		{"reader lists clusters", "cluster:get_all", readerS, own, true},
		{"member cannot touch another project", "cluster:delete", memberS, other, false},
		{"admin crosses projects", "cluster:delete", adminS, other, true},
		{"member cannot publish a template", "clustertemplate:publish", memberS, own, false},
		{"admin publishes", "clustertemplate:publish", adminS, own, true},
		{"creator signs a CSR", "certificate:create", memberS, own, true},
		{"another member of the project cannot sign", "certificate:create", Subject{UserID: "m2", ProjectID: "p1", Roles: []string{"member"}}, own, false},
		{"quota create is admin only", "quota:create", memberS, own, false},
		{"credential rotate has no admin bypass", "credential:rotate", adminS, other, false},
		{"unknown action is denied", "cluster:explode", adminS, own, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Allowed(tc.action, tc.s, tc.t); got != tc.want {
				t.Fatalf("Allowed(%s) = %v, want %v", tc.action, got, tc.want)
			}
		})
	}
}

func TestAuthorizeMessage(t *testing.T) {
	t.Parallel()
	err := Authorize("cluster:create", Subject{Roles: []string{"reader"}}, Target{})
	if err == nil || err.Error() != "Policy doesn't allow cluster:create to be performed." {
		t.Fatalf("got %v", err)
	}
	var ue *model.UserError
	if !errors.As(err, &ue) || !errors.Is(err, model.ErrForbidden) {
		t.Fatalf("error is not a forbidden user error: %#v", err)
	}
}
