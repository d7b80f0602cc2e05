package network

import (
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/google/nftables"
	"golang.org/x/sys/unix"
)

// tableName is the name of every table Slipway owns inside its own
// namespaces (networks and routers).
const tableName = "slipway"

// markKnown is the packet mark that the network namespace's inet table sets
// on packets of known (established or related) connections, for the bridge
// table to read: bridge-family rules cannot use conntrack on hosts without
// nf_conntrack_bridge, but br_netfilter runs the inet hooks, with
// conntrack, before the bridge forwards a frame.
const markKnown = 0x1

// renderConntrackMark is the inet table of a network namespace.
func renderConntrackMark() *nftTable {
	t := &nftTable{family: nftables.TableFamilyINet, name: tableName}
	// Priority -150: after conntrack (-200), before any NAT.
	t.base("mark", nftables.ChainTypeFilter, nftables.ChainHookPrerouting, -150).
		add(rule().ctEstablished().setMark(markKnown))
	return t
}

// filterPort is what the bridge table needs to know about one port with
// port security on.
type filterPort struct {
	dev     string
	mac     net.HardwareAddr
	srcs    []netip.Prefix // fixed IPs and allowed address pairs
	ingress []filterRule
	egress  []filterRule
}

// filterRule is one security group rule, resolved: remote groups are
// expanded to their members' addresses.
type filterRule struct {
	proto    uint8 // 0: any
	lo, hi   uint16
	icmpType int // -1: any
	icmpCode int // -1: any
	remotes  []netip.Prefix
	any      bool // any remote
}

// renderNetworkFilter is the bridge table of a network namespace: port
// security (anti-spoofing) and security groups for every port that has them.
// Egress and ingress are two base chains so that accepting a packet on the
// sender's side still subjects it to the receiver's rules.
func renderNetworkFilter(ports []filterPort) *nftTable {
	t := &nftTable{family: nftables.TableFamilyBridge, name: tableName}
	egress := t.base("egress", nftables.ChainTypeFilter, nftables.ChainHookForward, -200)
	ingress := t.base("ingress", nftables.ChainTypeFilter, nftables.ChainHookForward, -190)
	slices.SortFunc(ports, func(a, b filterPort) int { return strings.Compare(a.dev, b.dev) })
	for _, p := range ports {
		out, in, src := "out-"+p.dev, "in-"+p.dev, "src-"+p.dev
		egress.add(rule().iifname(p.dev, false).jump(out))
		ingress.add(rule().oifname(p.dev, false).jump(in))

		sc := t.chain(src)
		for _, s := range p.srcs {
			sc.add(rule().ipSaddr(s, false).ret())
		}
		sc.add(rule().drop())

		oc := t.chain(out)
		oc.add(rule().etherSaddr(p.mac, true).drop())
		for _, s := range p.srcs {
			oc.add(rule().protocol(ethARP, false).arpSaddr(s).accept())
		}
		oc.add(rule().protocol(ethARP, false).drop())
		oc.add(rule().protocol(ethIPv4, true).drop())
		oc.add(rule().jump(src))
		oc.add(rule().markBit(markKnown).accept())
		for _, r := range p.egress {
			addFilterRule(oc, r, true)
		}
		oc.add(rule().drop())

		ic := t.chain(in)
		ic.add(rule().protocol(ethARP, false).accept())
		ic.add(rule().protocol(ethIPv4, true).drop())
		ic.add(rule().markBit(markKnown).accept())
		for _, r := range p.ingress {
			addFilterRule(ic, r, false)
		}
		ic.add(rule().drop())
	}
	return t
}

// addFilterRule adds one accept rule per remote prefix (one in all for any
// remote). A rule whose remote group has no member matches nothing.
func addFilterRule(c *nftChain, r filterRule, egress bool) {
	remotes := r.remotes
	if r.any {
		remotes = []netip.Prefix{{}}
	}
	for _, rem := range remotes {
		x := rule()
		if rem.IsValid() {
			if egress {
				x.ipDaddr(rem, false)
			} else {
				x.ipSaddr(rem, false)
			}
		}
		if r.proto != 0 {
			x.l4proto(r.proto)
		}
		if (r.proto == unix.IPPROTO_TCP || r.proto == unix.IPPROTO_UDP) && r.lo != 0 {
			x.dport(r.lo, r.hi)
		}
		if r.proto == unix.IPPROTO_ICMP {
			if r.icmpType >= 0 {
				x.icmpField("type", 0, uint8(r.icmpType))
			}
			if r.icmpCode >= 0 {
				x.icmpField("code", 1, uint8(r.icmpCode))
			}
		}
		c.add(x.accept())
	}
}

// protocolNumber maps Neutron's protocol field to an IP protocol number; 0
// means any. ok is false for protocols that cannot be IPv4 rules.
func protocolNumber(p string) (uint8, bool) {
	switch strings.ToLower(p) {
	case "", "any":
		return 0, true
	case "tcp":
		return unix.IPPROTO_TCP, true
	case "udp":
		return unix.IPPROTO_UDP, true
	case "icmp":
		return unix.IPPROTO_ICMP, true
	case "sctp":
		return unix.IPPROTO_SCTP, true
	case "icmpv6", "ipv6-icmp":
		return 0, false
	}
	n, err := strconv.ParseUint(p, 10, 8)
	if err != nil {
		return 0, false
	}
	return uint8(n), true
}

// routerFIP is one floating IP that a router translates.
type routerFIP struct {
	fip, fixed netip.Addr
}

// routerView is what a router's table needs.
type routerView struct {
	gateway bool
	gwIP    netip.Addr
	public  netip.Prefix
	snat    bool
	fips    []routerFIP
	egress  bool
}

// markInside marks, in a router, packets that did not enter through the
// gateway.
const markInside = 0x2

// gatewayDev is the name of a router's interface on the external network.
const gatewayDev = "qg"

// renderRouter is the ip table of a router namespace: floating IP DNAT and
// SNAT, source NAT of internal traffic to the gateway address, hairpin NAT
// for internal clients of a floating IP, and, unless egress is on, a drop of
// anything routed to the external network that is not for it.
func renderRouter(v routerView) *nftTable {
	t := &nftTable{family: nftables.TableFamilyIPv4, name: tableName}
	pre := t.base("prerouting", nftables.ChainTypeNAT, nftables.ChainHookPrerouting, -100)
	out := t.base("output", nftables.ChainTypeNAT, nftables.ChainHookOutput, -100)
	post := t.base("postrouting", nftables.ChainTypeNAT, nftables.ChainHookPostrouting, 100)
	fwd := t.base("forward", nftables.ChainTypeFilter, nftables.ChainHookForward, 0)
	fips := slices.Clone(v.fips)
	slices.SortFunc(fips, func(a, b routerFIP) int { return a.fip.Compare(b.fip) })
	// The input interface is unknown in postrouting, so prerouting marks the
	// first packet of connections that come from inside.
	pre.add(rule().iifname(gatewayDev, true).setMark(markInside))
	// Hairpin: an inside client of a floating IP must see replies come back
	// through the router, so its address is replaced by the router's.
	post.add(rule().markBit(markInside).ctDNAT().oifname(gatewayDev, true).masquerade())
	for _, f := range fips {
		pre.add(rule().ipDaddr(netip.PrefixFrom(f.fip, 32), false).dnat(f.fixed))
		out.add(rule().ipDaddr(netip.PrefixFrom(f.fip, 32), false).dnat(f.fixed))
	}
	if v.gateway {
		for _, f := range fips {
			post.add(rule().ipSaddr(netip.PrefixFrom(f.fixed, 32), false).oifname(gatewayDev, false).snat(f.fip))
		}
		if v.snat {
			post.add(rule().oifname(gatewayDev, false).ipSaddr(netip.PrefixFrom(v.gwIP, 32), true).snat(v.gwIP))
		}
	}
	if !v.egress && v.gateway {
		fwd.add(rule().oifname(gatewayDev, false).ipDaddr(v.public, true).drop())
	}
	return t
}

// renderHostGuard is the host's table for the external network. Without
// egress it drops anything the host would forward from or to "public", so
// that no machine's packet leaves through the host even when the host
// forwards for others; with egress it masquerades machines' traffic to the
// uplink instead.
func renderHostGuard(name, hostIf string, public netip.Prefix, egress bool) *nftTable {
	t := &nftTable{family: nftables.TableFamilyINet, name: name}
	if egress {
		// Routers translate machines' addresses to theirs on "public".
		t.base("postrouting", nftables.ChainTypeNAT, nftables.ChainHookPostrouting, 100).
			add(rule().protocol(ethIPv4, false).ipSaddr(public, false).oifname(hostIf, true).masquerade())
		return t
	}
	fwd := t.base("forward", nftables.ChainTypeFilter, nftables.ChainHookForward, -10)
	fwd.add(rule().iifname(hostIf, false).drop())
	fwd.add(rule().oifname(hostIf, false).drop())
	return t
}
