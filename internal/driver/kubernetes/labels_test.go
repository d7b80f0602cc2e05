package kubernetes

import (
	"errors"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/model"
)

func TestValidateLabels(t *testing.T) {
	for _, tc := range []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{"kube_tag": "v1.37.2", "unknown_label": "anything"}, ""},
		{map[string]string{"kube_tag": "1.37"}, `kube_tag="1.37"`},
		{map[string]string{"container_runtime": "docker"}, "must be one of containerd"},
		{map[string]string{"calico_ipv4pool": "10.100.0.1/16"}, "did you mean 10.100.0.0/16"},
		{map[string]string{"auto_healing_enabled": "yes please"}, "must be true or false"},
		{map[string]string{"dns_upstream": "8.8.8.8,nope"}, "dns_upstream"},
	} {
		err := ValidateLabels(tc.labels)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: unexpected error %v", tc.labels, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: error %v, want one containing %q", tc.labels, err, tc.want)
		case err != nil && !errors.Is(err, model.ErrInvalid):
			t.Errorf("%v: %v is not a 400", tc.labels, err)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	tmpl := &model.ClusterTemplate{ImageID: "slipway-node", FlavorID: "m1.small", Labels: map[string]string{"kube_tag": "v1.36.3"}}
	c := &model.Cluster{MasterCount: 1, FloatingIPEnabled: true}
	cfg, err := configOf(c, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.KubeTag != "v1.36.3" || cfg.PodCIDR != "10.100.0.0/16" || cfg.ServiceCIDR != "10.254.0.0/16" ||
		cfg.MasterFlavor != "m1.small" || cfg.ExternalNet != "public" || len(cfg.DNSUpstream) != 0 {
		t.Errorf("config = %+v", cfg)
	}
	c.Labels = map[string]string{"pod_cidr": "10.200.0.0/16"}
	if cfg, _ = configOf(c, tmpl); cfg.KubeTag != DefaultKubeTag || cfg.PodCIDR != "10.200.0.0/16" {
		t.Errorf("a cluster's own labels replace the template's: %+v", cfg)
	}
	c.MasterCount = 3
	if _, err := configOf(c, tmpl); err == nil || !strings.Contains(err.Error(), "master_lb_enabled") {
		t.Errorf("3 masters without a load balancer: %v", err)
	}
}
