package network

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// nftTable is a whole nftables table as Slipway wants it: it is rendered by
// pure functions, printed in nft's syntax for golden files and logs, and
// applied in one netlink batch that replaces the previous version
// atomically.
type nftTable struct {
	family nftables.TableFamily
	name   string
	chains []*nftChain
}

// nftChain is one chain; a base chain has a hook.
type nftChain struct {
	name  string
	hook  *nftables.ChainHook
	typ   nftables.ChainType
	prio  int32
	rules []*nftRule
}

// nftRule is one rule: the nft text and the expressions it compiles to.
type nftRule struct {
	text  []string
	exprs []expr.Any
}

func (t *nftTable) chain(name string) *nftChain {
	c := &nftChain{name: name}
	t.chains = append(t.chains, c)
	return c
}

func (t *nftTable) base(name string, typ nftables.ChainType, hook *nftables.ChainHook, prio int32) *nftChain {
	c := &nftChain{name: name, typ: typ, hook: hook, prio: prio}
	t.chains = append(t.chains, c)
	return c
}

// add appends a rule built by the caller.
func (c *nftChain) add(r *nftRule) { c.rules = append(c.rules, r) }

func familyName(f nftables.TableFamily) string {
	switch f {
	case nftables.TableFamilyINet:
		return "inet"
	case nftables.TableFamilyIPv4:
		return "ip"
	case nftables.TableFamilyBridge:
		return "bridge"
	default:
		return fmt.Sprintf("family-%d", f)
	}
}

func hookName(h *nftables.ChainHook) string {
	switch *h {
	case *nftables.ChainHookPrerouting:
		return "prerouting"
	case *nftables.ChainHookInput:
		return "input"
	case *nftables.ChainHookForward:
		return "forward"
	case *nftables.ChainHookOutput:
		return "output"
	case *nftables.ChainHookPostrouting:
		return "postrouting"
	default:
		return fmt.Sprintf("hook-%d", *h)
	}
}

// String prints the table in the syntax of `nft list table`.
func (t *nftTable) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "table %s %s {\n", familyName(t.family), t.name)
	for _, c := range t.chains {
		fmt.Fprintf(&b, "\tchain %s {\n", c.name)
		if c.hook != nil {
			fmt.Fprintf(&b, "\t\ttype %s hook %s priority %d; policy accept;\n", c.typ, hookName(c.hook), c.prio)
		}
		for _, r := range c.rules {
			fmt.Fprintf(&b, "\t\t%s\n", strings.Join(r.text, " "))
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// applyTables replaces each table in one batch: the kernel commits the batch
// as one transaction, so packets see either the old tables or the new ones.
// "add, delete, add" makes the delete valid whether or not the table existed.
func applyTables(c *nftables.Conn, tables ...*nftTable) error {
	for _, t := range tables {
		old := &nftables.Table{Family: t.family, Name: t.name}
		c.AddTable(old)
		c.DelTable(old)
		nt := c.AddTable(&nftables.Table{Family: t.family, Name: t.name})
		chains := map[string]*nftables.Chain{}
		for _, ch := range t.chains {
			spec := &nftables.Chain{Name: ch.name, Table: nt}
			if ch.hook != nil {
				accept := nftables.ChainPolicyAccept
				prio := nftables.ChainPriority(ch.prio)
				spec.Hooknum = ch.hook
				spec.Type = ch.typ
				spec.Priority = &prio
				spec.Policy = &accept
			}
			chains[ch.name] = c.AddChain(spec)
		}
		for _, ch := range t.chains {
			for _, r := range ch.rules {
				c.AddRule(&nftables.Rule{Table: nt, Chain: chains[ch.name], Exprs: r.exprs})
			}
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("apply nftables: %w", err)
	}
	return nil
}

// deleteTables removes the tables that exist among those named.
func deleteTables(c *nftables.Conn, family nftables.TableFamily, names ...string) error {
	for _, n := range names {
		t := &nftables.Table{Family: family, Name: n}
		c.AddTable(t)
		c.DelTable(t)
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("delete nftables tables: %w", err)
	}
	return nil
}

// rule starts a rule.
func rule() *nftRule { return &nftRule{} }

func (r *nftRule) t(format string, a ...any) *nftRule {
	r.text = append(r.text, fmt.Sprintf(format, a...))
	return r
}

func (r *nftRule) e(es ...expr.Any) *nftRule {
	r.exprs = append(r.exprs, es...)
	return r
}

func ifnameBytes(name string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return b
}

func op(neg bool) (expr.CmpOp, string) {
	if neg {
		return expr.CmpOpNeq, "!= "
	}
	return expr.CmpOpEq, ""
}

func (r *nftRule) iifname(name string, neg bool) *nftRule {
	o, s := op(neg)
	return r.t("iifname %s%q", s, name).e(
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: o, Register: 1, Data: ifnameBytes(name)})
}

func (r *nftRule) oifname(name string, neg bool) *nftRule {
	o, s := op(neg)
	return r.t("oifname %s%q", s, name).e(
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
		&expr.Cmp{Op: o, Register: 1, Data: ifnameBytes(name)})
}

const (
	ethIPv4 = 0x0800
	ethARP  = 0x0806
)

// protocol matches the frame's ethertype (meta protocol).
func (r *nftRule) protocol(ethertype uint16, neg bool) *nftRule {
	o, s := op(neg)
	name := map[uint16]string{ethIPv4: "ip", ethARP: "arp"}[ethertype]
	return r.t("meta protocol %s%s", s, name).e(
		&expr.Meta{Key: expr.MetaKeyPROTOCOL, Register: 1},
		&expr.Cmp{Op: o, Register: 1, Data: binaryutil.BigEndian.PutUint16(ethertype)})
}

func (r *nftRule) etherSaddr(mac net.HardwareAddr, neg bool) *nftRule {
	o, s := op(neg)
	return r.t("ether saddr %s%s", s, mac).e(
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseLLHeader, Offset: 6, Len: 6},
		&expr.Cmp{Op: o, Register: 1, Data: []byte(mac)})
}

// prefixMatch loads 4 bytes of the network header at off and compares them
// with p (masked when p is not a single address).
func (r *nftRule) prefixMatch(label string, off uint32, p netip.Prefix, neg bool) *nftRule {
	o, s := op(neg)
	p = p.Masked()
	text := p.String()
	if p.IsSingleIP() {
		text = p.Addr().String()
	}
	r.t("%s %s%s", label, s, text)
	r.e(&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: 4})
	if !p.IsSingleIP() {
		mask := net.CIDRMask(p.Bits(), 32)
		r.e(&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: []byte{0, 0, 0, 0}})
	}
	a := p.Addr().As4()
	return r.e(&expr.Cmp{Op: o, Register: 1, Data: a[:]})
}

func (r *nftRule) ipSaddr(p netip.Prefix, neg bool) *nftRule {
	return r.prefixMatch("ip saddr", 12, p, neg)
}

func (r *nftRule) ipDaddr(p netip.Prefix, neg bool) *nftRule {
	return r.prefixMatch("ip daddr", 16, p, neg)
}

// arpSaddr matches the sender protocol address of an Ethernet/IPv4 ARP
// packet.
func (r *nftRule) arpSaddr(p netip.Prefix) *nftRule {
	return r.prefixMatch("arp saddr ip", 14, p, false)
}

func (r *nftRule) l4proto(proto uint8) *nftRule {
	name := map[uint8]string{unix.IPPROTO_TCP: "tcp", unix.IPPROTO_UDP: "udp", unix.IPPROTO_ICMP: "icmp"}[proto]
	if name == "" {
		name = fmt.Sprint(proto)
	}
	return r.t("meta l4proto %s", name).e(
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}})
}

// dport matches the transport header's destination port range; it must
// follow an l4proto match for tcp or udp.
func (r *nftRule) dport(lo, hi uint16) *nftRule {
	r.e(&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2})
	if lo == hi {
		return r.t("th dport %d", lo).e(&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(lo)})
	}
	return r.t("th dport %d-%d", lo, hi).e(&expr.Range{Op: expr.CmpOpEq, Register: 1,
		FromData: binaryutil.BigEndian.PutUint16(lo), ToData: binaryutil.BigEndian.PutUint16(hi)})
}

// icmpField matches the ICMP type (offset 0) or code (offset 1).
func (r *nftRule) icmpField(label string, off uint32, v uint8) *nftRule {
	return r.t("icmp %s %d", label, v).e(
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: off, Len: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{v}})
}

// markBit matches packets whose mark has bit set.
func (r *nftRule) markBit(bit uint32) *nftRule {
	return r.t("meta mark & 0x%x == 0x%x", bit, bit).e(
		&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: binaryutil.NativeEndian.PutUint32(bit), Xor: binaryutil.NativeEndian.PutUint32(0)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)})
}

func (r *nftRule) setMark(v uint32) *nftRule {
	return r.t("meta mark set 0x%x", v).e(
		&expr.Immediate{Register: 1, Data: binaryutil.NativeEndian.PutUint32(v)},
		&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: 1})
}

// ctEstablished matches packets of known connections: established or
// related.
func (r *nftRule) ctEstablished() *nftRule {
	bits := expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED
	return r.t("ct state established,related").e(
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: binaryutil.NativeEndian.PutUint32(bits), Xor: binaryutil.NativeEndian.PutUint32(0)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)})
}

// ctDNAT matches packets of connections whose destination was translated.
func (r *nftRule) ctDNAT() *nftRule {
	const ipsDstNAT = 1 << 5
	return r.t("ct status dnat").e(
		&expr.Ct{Register: 1, Key: expr.CtKeySTATUS},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: binaryutil.NativeEndian.PutUint32(ipsDstNAT), Xor: binaryutil.NativeEndian.PutUint32(0)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)})
}

func (r *nftRule) verdict(kind expr.VerdictKind, chain string) *nftRule {
	switch kind {
	case expr.VerdictAccept:
		r.t("accept")
	case expr.VerdictDrop:
		r.t("drop")
	case expr.VerdictJump:
		r.t("jump %s", chain)
	case expr.VerdictReturn:
		r.t("return")
	}
	return r.e(&expr.Verdict{Kind: kind, Chain: chain})
}

func (r *nftRule) accept() *nftRule           { return r.verdict(expr.VerdictAccept, "") }
func (r *nftRule) drop() *nftRule             { return r.verdict(expr.VerdictDrop, "") }
func (r *nftRule) ret() *nftRule              { return r.verdict(expr.VerdictReturn, "") }
func (r *nftRule) jump(chain string) *nftRule { return r.verdict(expr.VerdictJump, chain) }

func (r *nftRule) nat(typ expr.NATType, label string, a netip.Addr) *nftRule {
	b := a.As4()
	return r.t("%s to %s", label, a).e(
		&expr.Immediate{Register: 1, Data: b[:]},
		&expr.NAT{Type: typ, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegAddrMax: 1})
}

func (r *nftRule) dnat(a netip.Addr) *nftRule { return r.nat(expr.NATTypeDestNAT, "dnat", a) }
func (r *nftRule) snat(a netip.Addr) *nftRule { return r.nat(expr.NATTypeSourceNAT, "snat", a) }

func (r *nftRule) masquerade() *nftRule {
	return r.t("masquerade").e(&expr.Masq{})
}
