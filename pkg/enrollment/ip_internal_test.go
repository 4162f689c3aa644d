package enrollment

import (
	"net/netip"
	"testing"
)

func TestIPAllowed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		ranges []string
		ip     string
		want   bool
	}{
		{nil, "203.0.113.9", true},
		{[]string{}, "2001:db8::1", true},
		{[]string{"192.168.1.10"}, "192.168.1.10", true},
		{[]string{"192.168.1.10"}, "192.168.1.11", false},
		{[]string{"10.0.0.0/24"}, "10.0.0.200", true},
		{[]string{"10.0.0.0/24"}, "10.0.1.1", false},
		{[]string{"10.0.0.5/24"}, "10.0.0.77", true}, // host bits in a CIDR are ignored
		{[]string{"192.168.1.10", "10.0.0.0/24"}, "10.0.0.1", true},
		// IPv6 addresses and prefixes.
		{[]string{"2001:db8::5"}, "2001:db8::5", true},
		{[]string{"2001:db8::5"}, "2001:db8::6", false},
		{[]string{"2001:db8::/32"}, "2001:db8:ffff::1", true},
		{[]string{"2001:db8::/32"}, "2001:db9::1", false},
		{[]string{"::1"}, "::1", true},
		// IPv4-mapped IPv6, on either side.
		{[]string{"192.168.1.10"}, "::ffff:192.168.1.10", true},
		{[]string{"10.0.0.0/24"}, "::ffff:10.0.0.9", true},
		{[]string{"10.0.0.0/24"}, "::ffff:10.0.1.9", false},
		{[]string{"::ffff:192.168.1.10"}, "192.168.1.10", true},
		{[]string{"::ffff:10.0.0.0/120"}, "10.0.0.250", true},
		{[]string{"::ffff:10.0.0.0/120"}, "10.0.1.250", false},
		// IPv4 rules never match IPv6 clients and the reverse.
		{[]string{"0.0.0.0/0"}, "2001:db8::1", false},
		{[]string{"::/0"}, "192.0.2.1", false},
		{[]string{" 192.168.1.10 "}, "192.168.1.10", true},
		{[]string{"not-an-ip"}, "192.168.1.10", false},
	}
	for _, c := range cases {
		got := ipAllowed(c.ranges, netip.MustParseAddr(c.ip))
		if got != c.want {
			t.Errorf("ipAllowed(%q, %s) = %v, want %v", c.ranges, c.ip, got, c.want)
		}
	}
	if ipAllowed([]string{"10.0.0.0/8"}, netip.Addr{}) {
		t.Error("an unknown client address must not pass a restriction")
	}
}

func TestNormaliseRanges(t *testing.T) {
	t.Parallel()
	out, bad := normaliseRanges([]string{"192.168.1.100, 10.0.0.0/24", "10.0.0.0/24", "", "2001:db8::/48", "300.1.1.1", "10.0.0.0/33"})
	want := []string{"192.168.1.100", "10.0.0.0/24", "2001:db8::/48"}
	if len(out) != len(want) {
		t.Fatalf("ranges = %q, want %q", out, want)
	}
	for i := range want {
		if out[i] != want[i] {
			t.Fatalf("ranges = %q, want %q", out, want)
		}
	}
	if len(bad) != 2 || bad[0] != "300.1.1.1" || bad[1] != "10.0.0.0/33" {
		t.Fatalf("bad = %q", bad)
	}
}

func FuzzParseBasic(f *testing.F) {
	f.Add("Basic cGF0Y2htb25fYWVfeDp5")
	f.Add("basic Og==")
	f.Add("Bearer x")
	f.Fuzz(func(t *testing.T, h string) {
		k, s, err := parseBasic(h)
		if err == nil && (k == "" || s == "") {
			t.Fatalf("accepted empty key or secret from %q", h)
		}
	})
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "::ffff:10.0.0.0/104", "2001:db8::/32", "192.168.1.10", "::ffff:1.2.3.4", "fe80::1%eth0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseRange(s)
		if err != nil {
			return
		}
		if !p.IsValid() || p.Addr().Is4In6() || p.Addr().Zone() != "" {
			t.Fatalf("parseRange(%q) = %v: not a plain valid prefix", s, p)
		}
	})
}
