package kubernetes

import (
	"errors"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/driver"
	"github.com/slipway/slipway/internal/model"
)

func TestStartUpgrade(t *testing.T) {
	t.Parallel()
	c := &model.Cluster{Name: "c1"}
	for _, tc := range []struct {
		name           string
		from, pending  string
		to             string
		upgrading      bool
		wantTo, refuse string
	}{
		{name: "same version", from: "v1.37.2", to: "v1.37.2"},
		{name: "patch", from: "v1.37.1", to: "v1.37.2", upgrading: true, wantTo: "v1.37.2"},
		{name: "next minor", from: "v1.36.3", to: "v1.37.2", upgrading: true, wantTo: "v1.37.2"},
		{name: "two minors", from: "v1.35.4", to: "v1.37.2", refuse: "upgrade to v1.36.x before v1.37.2"},
		{name: "downgrade", from: "v1.37.2", to: "v1.36.3", refuse: "downgrading to v1.36.3 is not supported"},
		{name: "older patch", from: "v1.37.2", to: "v1.37.1", refuse: "downgrading"},
		{name: "resumed", from: "v1.36.3", pending: "v1.37.2", to: "v1.37.2", upgrading: true, wantTo: "v1.37.2"},
		{name: "anything else part way", from: "v1.36.3", pending: "v1.37.2", to: "v1.36.3", refuse: "part way through an upgrade from v1.36.3 to v1.37.2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &state{KubeTag: tc.from, UpgradingTo: tc.pending}
			upgrading, err := startUpgrade(c, st, &config{KubeTag: tc.to})
			if tc.refuse != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refuse) || !driver.IsPermanent(err) {
					t.Fatalf("err = %v, want a permanent error saying %q", err, tc.refuse)
				}
				if st.KubeTag != tc.from {
					t.Errorf("a refused upgrade changed the version to %s", st.KubeTag)
				}
				return
			}
			if err != nil || upgrading != tc.upgrading || st.UpgradingTo != tc.wantTo {
				t.Fatalf("startUpgrade = %v, %v, upgrading to %q; want %v, nil, %q", upgrading, err, st.UpgradingTo, tc.upgrading, tc.wantTo)
			}
			finishUpgrade(st)
			if st.KubeTag != tc.to || st.UpgradingTo != "" {
				t.Errorf("after finishUpgrade: %s, upgrading to %q; want %s", st.KubeTag, st.UpgradingTo, tc.to)
			}
		})
	}
}

func TestValidateUpgrade(t *testing.T) {
	t.Parallel()
	d := &Driver{}
	from := &model.ClusterTemplate{Meta: model.Meta{UUID: "t1"}, Labels: map[string]string{"kube_tag": "v1.36.3"}}
	c := &model.Cluster{Name: "c1", COEVersion: "v1.36.3", Labels: map[string]string{"kube_tag": "v1.36.3"}}
	to := func(tag string) *model.ClusterTemplate {
		return &model.ClusterTemplate{Meta: model.Meta{UUID: "t2"}, Labels: map[string]string{"kube_tag": tag}}
	}
	if err := d.ValidateUpgrade(c, from, to("v1.37.2")); err != nil {
		t.Errorf("v1.36.3 to v1.37.2: %v", err)
	}
	for tag, want := range map[string]string{
		"v1.35.4": "downgrading to v1.35.4 is not supported",
		"v1.38.0": "upgrade to v1.37.x before v1.38.0",
		"latest":  "kube_tag",
	} {
		err := d.ValidateUpgrade(c, from, to(tag))
		if err == nil || !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("to %s: %v, want a 400 saying %q", tag, err, want)
		}
	}
}
