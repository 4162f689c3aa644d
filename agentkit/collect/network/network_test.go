package network

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/agentkit/collect/collecttest"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

func readTestdata(t *testing.T, name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func TestNetworkVM(t *testing.T) {
	t.Parallel()
	// This build machine: /proc/net/route and ipv6_route as captured.
	dir := tree(t, map[string]string{
		"/proc/net/route":               readTestdata(t, "route-vm.txt"),
		"/proc/net/ipv6_route":          readTestdata(t, "ipv6_route-vm.txt"),
		"/etc/resolv.conf":              "nameserver 10.255.255.53\n",
		"/sys/class/net/eth0/type":      "1\n",
		"/sys/class/net/eth0/uevent":    "INTERFACE=eth0\nIFINDEX=4\n",
		"/sys/class/net/eth0/speed":     "-1\n",
		"/sys/class/net/eth0/duplex":    "unknown\n",
		"/sys/class/net/docker0/uevent": "DEVTYPE=bridge\nINTERFACE=docker0\n",
		"/sys/class/net/wlp2s0/uevent":  "DEVTYPE=wlan\n",
		"/sys/class/net/eno1/type":      "1\n",
		"/sys/class/net/eno1/speed":     "1000\n",
		"/sys/class/net/eno1/duplex":    "full\n",
	})
	ifs := []Interface{
		{Name: "lo", Loopback: true, Up: true, MTU: 65536, Addrs: prefixes("127.0.0.1/8", "::1/128")},
		{Name: "ifb0", MAC: "aa:bb:cc:dd:ee:ff", MTU: 1500},
		{Name: "eth0", MAC: "06:00:AC:10:00:02", MTU: 1500, Up: true, Addrs: prefixes("192.0.2.2/24", "fd00::2/64", "fe80::fc:ff:fe00:1/64")},
		{Name: "docker0", MAC: "02:42:7a:1b:2c:3d", MTU: 1500, Addrs: prefixes("172.17.0.1/16")},
		{Name: "veth1a2b3c4", MAC: "9a:1b:2c:3d:4e:5f", MTU: 1500, Up: true, Addrs: prefixes("fe80::981b:2cff:fe3d:4e5f/64")},
		{Name: "lxc5f3e2a1b9c", MAC: "9a:1b:2c:3d:4e:50", Up: true, Addrs: prefixes("fe80::1/64")},
		{Name: "wlp2s0", MAC: "a4:c3:f0:11:22:33", MTU: 1500, Addrs: prefixes("10.0.0.5/24")},
		{Name: "eno1", MAC: "3c:ec:ef:00:11:22", MTU: 9000, Up: true, Addrs: prefixes("10.10.0.2/16")},
	}
	n, err := New(collect.Host{Root: dir}, func() ([]Interface, error) { return ifs, nil }).Network(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "192.0.2.1", n.GatewayIP)
	assert.Equal(t, "192.0.2.2", n.PrimaryIP)
	assert.Equal(t, []string{"10.255.255.53"}, n.DNSServers)
	assert.Equal(t, []agentproto.NetworkInterface{
		{Name: "eth0", Type: "ethernet", MACAddress: "06:00:ac:10:00:02", MTU: 1500, Status: "up", LinkSpeed: -1, Addresses: []agentproto.InterfaceAddress{
			{Address: "192.0.2.2", Family: "inet", Netmask: "255.255.255.0", Gateway: "192.0.2.1"},
			{Address: "fd00::2", Family: "inet6", Netmask: "ffff:ffff:ffff:ffff::", Gateway: "fd00::1"},
			{Address: "fe80::fc:ff:fe00:1", Family: "inet6", Netmask: "ffff:ffff:ffff:ffff::"},
		}},
		{Name: "docker0", Type: "bridge", MACAddress: "02:42:7a:1b:2c:3d", MTU: 1500, Status: "down", LinkSpeed: -1, Addresses: []agentproto.InterfaceAddress{
			{Address: "172.17.0.1", Family: "inet", Netmask: "255.255.0.0"},
		}},
		{Name: "wlp2s0", Type: "wifi", MACAddress: "a4:c3:f0:11:22:33", MTU: 1500, Status: "down", LinkSpeed: -1, Addresses: []agentproto.InterfaceAddress{
			{Address: "10.0.0.5", Family: "inet", Netmask: "255.255.255.0"},
		}},
		{Name: "eno1", Type: "ethernet", MACAddress: "3c:ec:ef:00:11:22", MTU: 9000, Status: "up", LinkSpeed: 1000, Duplex: "full", Addresses: []agentproto.InterfaceAddress{
			{Address: "10.10.0.2", Family: "inet", Netmask: "255.255.0.0"},
		}},
	}, n.Interfaces)
}

func TestResolvedStubAndMetrics(t *testing.T) {
	t.Parallel()
	dir := tree(t, map[string]string{
		"/proc/net/route": "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
			"wlan0\t00000000\t0100A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n" +
			"eth0\t00000000\t01000A0A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n",
		"/etc/resolv.conf":                 "# stub\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n",
		"/run/systemd/resolve/resolv.conf": "nameserver 10.10.0.1\nnameserver 2001:db8::53\nnameserver 10.10.0.1\n",
	})
	n, err := New(collect.Host{Root: dir}, func() ([]Interface, error) { return nil, nil }).Network(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "10.10.0.1", n.GatewayIP, "lowest metric wins")
	assert.Equal(t, []string{"10.10.0.1", "2001:db8::53"}, n.DNSServers)
}

func TestFreeBSDRoute(t *testing.T) {
	t.Parallel()
	r := collecttest.NewRunner().
		SetOutput("route -n get default", "   route to: default\ndestination: default\n       mask: default\n    gateway: 192.168.1.1\n        fib: 0\n  interface: em0\n      flags: <UP,GATEWAY,DONE,STATIC>\n").
		Set("route -n get -inet6 default", collecttest.Result{Code: 1, Stderr: "route: route has not been found"})
	ifs := []Interface{{Name: "em0", MAC: "00:0c:29:aa:bb:cc", Up: true, Addrs: prefixes("192.168.1.20/24")}}
	n, err := New(collect.Host{Root: t.TempDir(), Runner: r}, func() ([]Interface, error) { return ifs, nil }).Network(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "192.168.1.1", n.GatewayIP)
	assert.Equal(t, "192.168.1.20", n.PrimaryIP)
	assert.Equal(t, "ethernet", n.Interfaces[0].Type)
	assert.Equal(t, "192.168.1.1", n.Interfaces[0].Addresses[0].Gateway)
}

func FuzzParseNetwork(f *testing.F) {
	for _, p := range []string{"testdata/route-vm.txt", "testdata/ipv6_route-vm.txt"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("nameserver 1.1.1.1\nnameserver fe80::1%eth0\n")
	f.Add("    gateway: 10.0.0.1\n  interface: em0\n")
	f.Fuzz(func(t *testing.T, in string) {
		if r := parseRoute(in); r.Gateway.IsValid() && r.Iface == "" {
			t.Fatal("gateway without interface")
		}
		if r := parseIPv6Route(in); r.Gateway.IsValid() && r.Iface == "" {
			t.Fatal("gateway without interface")
		}
		parseRouteGet(in)
		for _, s := range parseResolvConf(in) {
			if s == "" {
				t.Fatal("empty server")
			}
		}
	})
}
