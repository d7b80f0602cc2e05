package network

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"

	"github.com/google/nftables"
	mdnetlink "github.com/mdlayher/netlink"
	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/slipway/slipway/internal/provider/local/network/netns"
)

// nsHandles bundles what it takes to change one namespace.
type nsHandles struct {
	ns vnetns.NsHandle
	nl *netlink.Handle
}

func openNS(path string) (*nsHandles, error) {
	ns, err := netns.Open(path)
	if err != nil {
		return nil, err
	}
	nl, err := netlink.NewHandleAt(ns)
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("netlink in %s: %w", path, err)
	}
	return &nsHandles{ns: ns, nl: nl}, nil
}

func (h *nsHandles) Close() {
	h.nl.Close()
	h.ns.Close()
}

// nftBuffer is the send and receive buffer of an nftables connection. A
// bridge table re-rendered for a network with dozens of ports is hundreds
// of rules sent in one batch, and the kernel acknowledges every message of
// it: the default buffers (wmem_default, rmem_default) refuse the batch
// (EMSGSIZE) or overflow with the acknowledgements (ENOBUFS, although the
// batch was committed).
const nftBuffer = 32 << 20

// ackBuffer sizes a netlink socket's buffers to nftBuffer, beyond
// wmem_max and rmem_max (Slipway runs as root).
func ackBuffer(c *mdnetlink.Conn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("netlink socket: %w", err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = errors.Join(
			unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, nftBuffer),
			unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, nftBuffer))
	}); err != nil {
		return fmt.Errorf("netlink socket: %w", err)
	}
	if serr != nil {
		return fmt.Errorf("size the netlink buffers: %w", serr)
	}
	return nil
}

// nft returns an nftables connection into the namespace.
func (h *nsHandles) nft() (*nftables.Conn, error) {
	c, err := nftables.New(nftables.WithNetNSFd(int(h.ns)), nftables.WithSockOptions(ackBuffer))
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	return c, nil
}

func isNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENOENT)
}

// linkUp brings the named link up.
func (h *nsHandles) linkUp(name string) (netlink.Link, error) {
	l, err := h.nl.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", name, err)
	}
	if err := h.nl.LinkSetUp(l); err != nil {
		return nil, fmt.Errorf("set %s up: %w", name, err)
	}
	return l, nil
}

// makeNamespace creates (or finds) a namespace with loopback up and the
// given sysctls, and returns handles into it.
func makeNamespace(name string, sysctls ...string) (*nsHandles, error) {
	path, err := netns.Create(name)
	if err != nil {
		return nil, err
	}
	if len(sysctls) > 0 {
		if err := netns.Sysctl(path, sysctls...); err != nil {
			return nil, fmt.Errorf("namespace %s: %w", name, err)
		}
	}
	h, err := openNS(path)
	if err != nil {
		return nil, err
	}
	if _, err := h.linkUp("lo"); err != nil {
		h.Close()
		return nil, fmt.Errorf("namespace %s: %w", name, err)
	}
	return h, nil
}

// ensureBridge creates the namespace's bridge if it is missing.
func (h *nsHandles) ensureBridge(mtu int) (netlink.Link, error) {
	if l, err := h.nl.LinkByName(bridgeName); err == nil {
		return l, h.nl.LinkSetUp(l)
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: bridgeName, MTU: mtu}}
	if err := h.nl.LinkAdd(br); err != nil && !errors.Is(err, unix.EEXIST) {
		return nil, fmt.Errorf("add bridge: %w", err)
	}
	return h.linkUp(bridgeName)
}

// plugSpec is everything needed to plug a port.
type plugSpec struct {
	networkNS string
	dev       string
	mac       net.HardwareAddr
	mtu       int
	target    string
	ifName    string
	addrs     []netip.Prefix
	gateway   netip.Addr // default route via, when valid
}

// plug creates the veth between the network's bridge and the target
// namespace, or adopts it when it is already there, and configures the
// target's end. It is idempotent.
func plug(s plugSpec) error {
	nh, err := openNS(s.networkNS)
	if err != nil {
		return err
	}
	defer nh.Close()
	th, err := openNS(s.target)
	if err != nil {
		return err
	}
	defer th.Close()

	peer, err := th.nl.LinkByName(s.ifName)
	ours := err == nil && peer.Attrs().HardwareAddr.String() == s.mac.String()
	if err == nil && !ours {
		return fmt.Errorf("interface %s already exists in %s", s.ifName, s.target)
	}
	if _, err := nh.nl.LinkByName(s.dev); err == nil && !ours {
		// A stale end whose peer is gone from the target: start again.
		if err := nh.delLink(s.dev); err != nil {
			return err
		}
	}
	br, err := nh.nl.LinkByName(bridgeName)
	if err != nil {
		return fmt.Errorf("find bridge in %s: %w", s.networkNS, err)
	}
	if !ours {
		v := &netlink.Veth{
			LinkAttrs:        netlink.LinkAttrs{Name: s.dev, MTU: s.mtu, MasterIndex: br.Attrs().Index},
			PeerName:         s.ifName,
			PeerHardwareAddr: s.mac,
			PeerNamespace:    netlink.NsFd(int(th.ns)),
		}
		if err := nh.nl.LinkAdd(v); err != nil {
			return fmt.Errorf("add veth %s: %w", s.dev, err)
		}
	}
	if _, err := nh.linkUp(s.dev); err != nil {
		return err
	}
	if _, err := th.linkUp("lo"); err != nil {
		return err
	}
	link, err := th.nl.LinkByName(s.ifName)
	if err != nil {
		return fmt.Errorf("find %s: %w", s.ifName, err)
	}
	// Addresses go on before the link comes up, so that a namespace with
	// arp_notify (routers) announces them with a gratuitous ARP: neighbours
	// that failed to resolve the gateway before it existed learn it at
	// once instead of after their failure times out.
	for _, a := range s.addrs {
		if err := th.nl.AddrReplace(link, &netlink.Addr{IPNet: prefixNet(a)}); err != nil {
			return fmt.Errorf("address %s on %s: %w", a, s.ifName, err)
		}
	}
	if _, err := th.linkUp(s.ifName); err != nil {
		return err
	}
	if s.gateway.IsValid() {
		r := &netlink.Route{LinkIndex: link.Attrs().Index, Gw: s.gateway.AsSlice(), Dst: nil}
		if err := th.nl.RouteReplace(r); err != nil {
			return fmt.Errorf("default route via %s: %w", s.gateway, err)
		}
	}
	return nil
}

// unplug removes a port's veth; the peer in the target goes with it.
func unplug(networkNS, dev string) error {
	if !netns.Exists(nsName(networkNS)) {
		return nil
	}
	nh, err := openNS(networkNS)
	if err != nil {
		return err
	}
	defer nh.Close()
	return nh.delLink(dev)
}

// delLink deletes the named link if it exists.
func (h *nsHandles) delLink(name string) error {
	l, err := h.nl.LinkByName(name)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find %s: %w", name, err)
	}
	if err := h.nl.LinkDel(l); err != nil && !isNotFound(err) {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return nil
}

// nsName returns the name of a namespace from its path under netns.Dir.
func nsName(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[i+1:]
		}
	}
	return path
}

func prefixNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), 32)}
}

// hostSysctl writes a sysctl of the host (the Manager's own namespace).
func hostSysctl(key, value string) error {
	file := "/proc/sys/" + key
	if err := os.WriteFile(file, []byte(value), 0o644); err != nil {
		return fmt.Errorf("sysctl %s=%s: %w", key, value, err)
	}
	return nil
}
