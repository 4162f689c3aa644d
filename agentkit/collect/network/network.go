// Package network collects the network configuration: interfaces with their
// addresses, type, state and link speed, the default gateway, the DNS
// servers and the host's primary address.
//
// Interfaces without addresses and the loopback are left out, as are the
// per-container and per-VM interfaces that come and go with workloads (veth,
// Calico, Cilium, libvirt and Proxmox guest taps): they would change the
// interfaces hash, and trigger a report, every time a container starts.
// Link-layer details come from /sys/class/net on Linux; the gateway from
// /proc/net/route and /proc/net/ipv6_route (route(8) on FreeBSD); DNS servers
// from resolv.conf, looking through systemd-resolved's local stub to the
// upstream servers it uses.
//
// Stability: the exported API follows the module's semantic versioning.
package network

import (
	"context"
	"encoding/hex"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// Interface is what the collector needs to know about one interface from the
// operating system; the standard library's net package provides it.
type Interface struct {
	Name     string
	MAC      string
	MTU      int
	Up       bool // administratively up and running
	Loopback bool
	Addrs    []netip.Prefix
}

// Collector collects the network configuration. Build it with New.
type Collector struct {
	host       collect.Host
	interfaces func() ([]Interface, error)
}

var _ collect.NetworkCollector = (*Collector)(nil)

// New returns the network collector for host. interfaces lists the
// interfaces; nil means the running system's (SystemInterfaces).
func New(host collect.Host, interfaces func() ([]Interface, error)) *Collector {
	if interfaces == nil {
		interfaces = SystemInterfaces
	}
	return &Collector{host: host, interfaces: interfaces}
}

// SystemInterfaces lists this machine's interfaces through package net.
func SystemInterfaces() ([]Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := make([]Interface, 0, len(ifs))
	for _, ifc := range ifs {
		i := Interface{
			Name:     ifc.Name,
			MAC:      ifc.HardwareAddr.String(),
			MTU:      ifc.MTU,
			Up:       ifc.Flags&net.FlagUp != 0 && ifc.Flags&net.FlagRunning != 0,
			Loopback: ifc.Flags&net.FlagLoopback != 0,
		}
		addrs, err := ifc.Addrs()
		if err == nil {
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok {
					ip, ok1 := netip.AddrFromSlice(ipn.IP)
					ones, _ := ipn.Mask.Size()
					if ok1 {
						i.Addrs = append(i.Addrs, netip.PrefixFrom(ip.Unmap(), ones))
					}
				}
			}
		}
		out = append(out, i)
	}
	return out, nil
}

// workloadIface matches interfaces created per container or VM.
var workloadIface = regexp.MustCompile(`^(veth|cali|vnet|tap|fwbr|fwpr|fwln|lxc[0-9a-f]{5,}|vxlan\.calico)`)

type route struct {
	Iface   string
	Gateway netip.Addr
}

// Network implements collect.NetworkCollector.
func (c *Collector) Network(ctx context.Context) (collect.Network, error) {
	var n collect.Network
	ifs, err := c.interfaces()
	if err != nil {
		return n, err
	}
	gw4, gw6 := c.defaultRoutes(ctx)
	if gw4.Gateway.IsValid() {
		n.GatewayIP = gw4.Gateway.String()
	} else if gw6.Gateway.IsValid() {
		n.GatewayIP = gw6.Gateway.String()
	}
	n.DNSServers = c.dnsServers()
	var firstGlobal4, firstGlobal6, routed string
	for _, ifc := range ifs {
		if ifc.Loopback || len(ifc.Addrs) == 0 || workloadIface.MatchString(ifc.Name) {
			continue
		}
		ni := agentproto.NetworkInterface{
			Name:       ifc.Name,
			Type:       c.ifaceType(ifc),
			MACAddress: strings.ToLower(ifc.MAC),
			MTU:        ifc.MTU,
			Status:     "down",
			Addresses:  make([]agentproto.InterfaceAddress, 0, len(ifc.Addrs)),
		}
		if ifc.Up {
			ni.Status = "up"
		}
		ni.LinkSpeed, ni.Duplex = c.link(ifc.Name)
		for _, p := range ifc.Addrs {
			a := agentproto.InterfaceAddress{Address: p.Addr().String(), Family: "inet6", Netmask: netmask(p)}
			if p.Addr().Is4() {
				a.Family = "inet"
				if gw4.Iface == ifc.Name && gw4.Gateway.IsValid() {
					a.Gateway = gw4.Gateway.String()
				}
				if firstGlobal4 == "" && p.Addr().IsGlobalUnicast() {
					firstGlobal4 = a.Address
				}
				if routed == "" && gw4.Iface == ifc.Name {
					routed = a.Address
				}
			} else {
				if gw6.Iface == ifc.Name && gw6.Gateway.IsValid() && p.Addr().IsGlobalUnicast() {
					a.Gateway = gw6.Gateway.String()
				}
				if firstGlobal6 == "" && p.Addr().IsGlobalUnicast() {
					firstGlobal6 = a.Address
				}
			}
			ni.Addresses = append(ni.Addresses, a)
		}
		n.Interfaces = append(n.Interfaces, ni)
	}
	n.PrimaryIP = cmpOr(routed, firstGlobal4, firstGlobal6)
	return n, nil
}

func cmpOr(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// netmask renders an IPv4 prefix as a dotted mask and an IPv6 prefix as a
// mask address, e.g. "255.255.255.0", "ffff:ffff:ffff:ffff::".
func netmask(p netip.Prefix) string {
	bits := 32
	if p.Addr().Is6() {
		bits = 128
	}
	if p.Bits() < 0 || p.Bits() > bits {
		return ""
	}
	m := net.CIDRMask(p.Bits(), bits)
	ip, ok := netip.AddrFromSlice(m)
	if !ok {
		return ""
	}
	return ip.String()
}

// ifaceType classifies an interface from sysfs: the DEVTYPE its driver
// announces (wlan, bridge, bond, vlan, wireguard, …), else the ARP hardware
// type (1 is Ethernet; tunnels have their own).
func (c *Collector) ifaceType(ifc Interface) string {
	base := "/sys/class/net/" + ifc.Name
	if b, err := c.host.ReadString(base + "/uevent"); err == nil {
		for _, line := range strings.Split(b, "\n") {
			if v, ok := strings.CutPrefix(line, "DEVTYPE="); ok {
				switch v = strings.TrimSpace(v); v {
				case "wlan":
					return "wifi"
				case "":
				default:
					return v
				}
			}
		}
	}
	switch {
	case c.host.Exists(base + "/wireless"), c.host.Exists(base + "/phy80211"):
		return "wifi"
	case c.host.Exists(base + "/bridge"):
		return "bridge"
	case c.host.Exists(base + "/bonding"):
		return "bond"
	}
	if t, err := c.host.ReadString(base + "/type"); err == nil {
		switch t {
		case "1":
			return "ethernet"
		case "32":
			return "infiniband"
		case "512":
			return "ppp"
		case "768", "769", "776", "778", "823", "65534":
			return "tunnel"
		}
		return "other"
	}
	if ifc.MAC != "" {
		return "ethernet"
	}
	return "virtual"
}

// link returns the link speed (Mbit/s, -1 when unknown) and duplex of an
// Ethernet-like interface.
func (c *Collector) link(name string) (int, string) {
	speed := -1
	if s, err := c.host.ReadString("/sys/class/net/" + name + "/speed"); err == nil {
		if v, err := strconv.Atoi(s); err == nil && v > 0 {
			speed = v
		}
	}
	duplex := ""
	if d, err := c.host.ReadString("/sys/class/net/" + name + "/duplex"); err == nil && (d == "full" || d == "half") {
		duplex = d
	}
	return speed, duplex
}

// defaultRoutes returns the IPv4 and IPv6 default routes.
func (c *Collector) defaultRoutes(ctx context.Context) (v4, v6 route) {
	if b, err := c.host.ReadFile("/proc/net/route"); err == nil {
		v4 = parseRoute(string(b))
		if b, err := c.host.ReadFile("/proc/net/ipv6_route"); err == nil {
			v6 = parseIPv6Route(string(b))
		}
		return v4, v6
	}
	// FreeBSD and other BSDs.
	if out, err := c.host.Run(ctx, "route", "-n", "get", "default"); err == nil {
		v4 = parseRouteGet(string(out))
	}
	if out, err := c.host.Run(ctx, "route", "-n", "get", "-inet6", "default"); err == nil {
		v6 = parseRouteGet(string(out))
	}
	return v4, v6
}

// parseRoute finds the default route in /proc/net/route: destination and
// mask 00000000, the gateway in little-endian hex; the lowest metric wins.
func parseRoute(data string) route {
	var best route
	bestMetric := -1
	for _, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		if len(f) < 8 || f[1] != "00000000" || f[7] != "00000000" {
			continue
		}
		b, err := hex.DecodeString(f[2])
		if err != nil || len(b) != 4 {
			continue
		}
		gw := netip.AddrFrom4([4]byte{b[3], b[2], b[1], b[0]})
		metric, _ := strconv.Atoi(f[6])
		if gw.IsUnspecified() {
			continue
		}
		if bestMetric < 0 || metric < bestMetric {
			best, bestMetric = route{Iface: f[0], Gateway: gw}, metric
		}
	}
	return best
}

// parseIPv6Route finds the default route (::/0 with a gateway) in
// /proc/net/ipv6_route, lowest metric first.
func parseIPv6Route(data string) route {
	var best route
	var bestMetric uint64
	for _, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		if len(f) < 10 || f[0] != strings.Repeat("0", 32) || f[1] != "00" {
			continue
		}
		b, err := hex.DecodeString(f[4])
		if err != nil || len(b) != 16 {
			continue
		}
		gw := netip.AddrFrom16([16]byte(b))
		if gw.IsUnspecified() || f[9] == "lo" {
			continue
		}
		metric, err := strconv.ParseUint(f[5], 16, 32)
		if err != nil {
			continue
		}
		if !best.Gateway.IsValid() || metric < bestMetric {
			best, bestMetric = route{Iface: f[9], Gateway: gw}, metric
		}
	}
	return best
}

// parseRouteGet parses BSD `route -n get default` output.
func parseRouteGet(data string) route {
	var r route
	for _, line := range strings.Split(data, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "gateway":
			if a, err := netip.ParseAddr(strings.Split(v, "%")[0]); err == nil {
				r.Gateway = a
			}
		case "interface":
			r.Iface = v
		}
	}
	return r
}

// dnsServers reads resolv.conf; when it only points at systemd-resolved's
// stub (127.0.0.53), the upstream servers come from resolved's own file.
func (c *Collector) dnsServers() []string {
	b, err := c.host.ReadFile("/etc/resolv.conf")
	if err != nil {
		return nil
	}
	servers := parseResolvConf(string(b))
	if len(servers) > 0 && !slices.ContainsFunc(servers, func(s string) bool { return s != "127.0.0.53" && s != "127.0.0.54" }) {
		if b, err := c.host.ReadFile("/run/systemd/resolve/resolv.conf"); err == nil {
			if up := parseResolvConf(string(b)); len(up) > 0 {
				return up
			}
		}
	}
	return servers
}

func parseResolvConf(data string) []string {
	var out []string
	for _, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			if _, err := netip.ParseAddr(strings.Split(f[1], "%")[0]); err == nil && !slices.Contains(out, f[1]) {
				out = append(out, f[1])
			}
		}
	}
	return out
}
