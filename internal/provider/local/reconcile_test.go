package local

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/provider/local/machine"
	"github.com/slipway/slipway/internal/provider/local/network/netns"
	"github.com/slipway/slipway/internal/provider/local/network/nettest"
)

// webScript is a server's user_data: busybox httpd on 8080 serving the
// machine's host name.
const webScript = `#!/bin/sh
mkdir -p /srv/www
cat /etc/hostname > /srv/www/index.html
busybox httpd -p 8080 -h /srv/www
`

// webStack creates a network with a router to public, a security group
// admitting 8080, and a web server with a floating IP and a volume
// mounted at /mnt/data. It returns the resources by name.
func (e *env) webStack(servers ...string) map[string]*resources.Resource {
	out := map[string]*resources.Resource{}
	out["net"] = e.create("net", "OS::Neutron::Net", map[string]any{})
	out["subnet"] = e.create("subnet", "OS::Neutron::Subnet", map[string]any{"network": out["net"].PhysicalID, "cidr": "10.0.0.0/24"})
	out["router"] = e.create("router", "OS::Neutron::Router", map[string]any{"external_gateway_info": map[string]any{"network": "public"}})
	out["ri"] = e.create("ri", "OS::Neutron::RouterInterface", map[string]any{"router": out["router"].PhysicalID, "subnet": out["subnet"].PhysicalID})
	out["sg"] = e.create("sg", "OS::Neutron::SecurityGroup", map[string]any{"rules": []any{
		map[string]any{"protocol": "tcp", "port_range_min": 8080, "port_range_max": 8080}}})
	for _, name := range servers {
		out[name] = e.create(name, "OS::Nova::Server", map[string]any{"image": ImageName, "flavor": "m1.tiny",
			"user_data_format": "RAW", "user_data": webScript, "security_groups": []any{out["sg"].PhysicalID},
			"networks": []any{map[string]any{"subnet": out["subnet"].PhysicalID}}})
	}
	first := out[servers[0]]
	out["fip"] = e.create("fip", "OS::Neutron::FloatingIP", map[string]any{"floating_network": "public",
		"port_id": childID(first.PhysicalID, "port", 0)})
	out["volume"] = e.create("volume", "OS::Cinder::Volume", map[string]any{"size": 1})
	out["attachment"] = e.create("attachment", "OS::Cinder::VolumeAttachment", map[string]any{
		"instance_uuid": first.PhysicalID, "volume_id": out["volume"].PhysicalID, "mountpoint": "/mnt/data"})
	return out
}

// awaitBody fetches url from the host until it answers want.
func awaitBody(t *testing.T, url, want string) {
	t.Helper()
	var got string
	err := nettest.Eventually(t.Context(), 30*time.Second, func() error {
		body, err := nettest.Get(t.Context(), "", url)
		if err != nil {
			return err
		}
		if got = strings.TrimSpace(body); got != want {
			return fmt.Errorf("GET %s = %q, want %q", url, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReconcileAdoptsRemovesAndBootsAgain restarts the provider over the
// same store: what the store knows is adopted as it runs, what it does not
// know is removed, and running Reconcile again changes nothing. Then a
// host reboot is simulated (every process of the machines and load
// balancers killed, every namespace and the host's interface removed):
// Reconcile rebuilds the networks and boots the machine again, which
// serves through its floating IP with its volume mounted again.
func TestReconcileAdoptsRemovesAndBootsAgain(t *testing.T) {
	e := newEnv(t)
	res := e.webStack("web", "orphan")
	web, orphan := res["web"], res["orphan"]
	fip := res["fip"].Attributes["floating_ip_address"].(string)
	url := "http://" + fip + ":8080/"
	awaitBody(t, url, hostname(physicalName(web), web.PhysicalID))

	known := map[string]bool{}
	for name, r := range res {
		if name != "orphan" {
			known[r.PhysicalID] = true
		}
	}
	// Slipway restarts and its store no longer knows the orphan.
	e.p = e.provider()
	for i := range 2 {
		rep, err := e.p.Reconcile(t.Context(), known)
		if err != nil {
			t.Fatalf("reconcile %d: %v", i, err)
		}
		wantRemoved := []string{orphan.PhysicalID}
		if i == 1 {
			wantRemoved = nil
		}
		if !slices.Equal(rep.Removed, wantRemoved) || !slices.Equal(rep.Running, []string{web.PhysicalID}) || len(rep.Booted) > 0 {
			t.Fatalf("reconcile %d: %+v, want running [%s], removed %v", i, rep, web.PhysicalID, wantRemoved)
		}
	}
	if _, err := e.p.machines.Get(t.Context(), orphan.PhysicalID); err == nil {
		t.Fatal("the orphan machine survived")
	}
	if netns.IsNamespace(e.p.net.MachineNamespace(orphan.PhysicalID)) {
		t.Fatal("the orphan's network namespace survived")
	}
	if ports := e.p.net.ListPorts(t.Context(), orphan.PhysicalID); len(ports) > 0 {
		t.Fatalf("the orphan's ports survived: %v", ports)
	}
	awaitBody(t, url, hostname(physicalName(web), web.PhysicalID))

	// A host reboot, as far as a test can make one.
	simulateReboot(t, e.p)
	if st, reason, _ := e.p.machines.Status(t.Context(), web.PhysicalID); st == machine.StateActive {
		t.Fatalf("the machine is %s (%s) after the reboot", st, reason)
	}
	e.p = e.provider()
	rep, err := e.p.Reconcile(t.Context(), known)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Booted, []string{web.PhysicalID}) {
		t.Fatalf("booted %v, want [%s]", rep.Booted, web.PhysicalID)
	}
	srv, err := e.p.Server(t.Context(), web.PhysicalID)
	if err != nil {
		t.Fatal(err)
	}
	if srv.Boots != 2 || !strings.Contains(srv.Reason, "booted again") {
		t.Fatalf("server after the reboot: %+v; want its second boot, saying so", srv)
	}
	awaitBody(t, url, hostname(physicalName(web), web.PhysicalID))
	attached, err := e.p.vols.Attached(t.Context(), res["attachment"].PhysicalID)
	if err != nil || !attached {
		t.Fatalf("the volume is not attached again after the reboot: %v", err)
	}
}

// simulateReboot kills what a reboot kills: every process of the
// provider's machines and load balancers, its network namespaces and the
// host's interface on the public network. Nothing of the store or the
// data directory changes.
func simulateReboot(t *testing.T, p *Provider) {
	t.Helper()
	ctx := context.Background()
	machines, err := p.machines.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range machines {
		if m.InitPID > 0 {
			_ = syscall.Kill(m.InitPID, syscall.SIGKILL)
		}
	}
	names, err := netns.List(p.opts.Prefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if pids, err := netns.Pids(netns.Path(name)); err == nil {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if err := netns.Delete(name); err != nil {
			t.Fatal(err)
		}
	}
	if l, err := netlink.LinkByName(p.opts.HostInterface); err == nil {
		if err := netlink.LinkDel(l); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range machines {
		err := nettest.Eventually(ctx, 10*time.Second, func() error {
			if m.InitPID > 0 {
				if _, err := os.Stat(fmt.Sprintf("/proc/%d/ns", m.InitPID)); err == nil {
					return fmt.Errorf("machine %s still runs", m.ID)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
