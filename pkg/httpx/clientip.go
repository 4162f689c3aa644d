package httpx

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// TrustProxy decides which X-Forwarded-For / X-Forwarded-Proto headers are believed, with
// the semantics of the TRUST_PROXY setting: trust every proxy, none, a number of hops
// nearest the server, or proxies whose address is in a list of IPs/CIDRs.
type TrustProxy struct {
	all      bool
	hops     int
	prefixes []netip.Prefix
}

// ParseTrustProxy reads "true", "false", a hop count such as "1", or a comma-separated list
// of addresses and CIDRs ("10.0.0.0/8, 127.0.0.1"). The keyword "loopback" stands for
// 127.0.0.0/8 and ::1.
func ParseTrustProxy(s string) (TrustProxy, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	switch s {
	case "", "false", "0", "no", "off":
		return TrustProxy{}, nil
	case "true", "yes", "on":
		return TrustProxy{all: true}, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return TrustProxy{}, fmt.Errorf("hop count must not be negative")
		}
		return TrustProxy{hops: n}, nil
	}
	var tp TrustProxy
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
			continue
		case part == "loopback":
			tp.prefixes = append(tp.prefixes, netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"))
		case strings.Contains(part, "/"):
			p, err := netip.ParsePrefix(part)
			if err != nil {
				return TrustProxy{}, fmt.Errorf("invalid CIDR %q", part)
			}
			tp.prefixes = append(tp.prefixes, p.Masked())
		default:
			a, err := netip.ParseAddr(part)
			if err != nil {
				return TrustProxy{}, fmt.Errorf("invalid value %q: use true, false, a hop count or a list of IPs/CIDRs", part)
			}
			tp.prefixes = append(tp.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return tp, nil
}

// Enabled reports whether any forwarding header is believed.
func (tp TrustProxy) Enabled() bool { return tp.all || tp.hops > 0 || len(tp.prefixes) > 0 }

func (tp TrustProxy) trusts(a netip.Addr, hop int) bool {
	switch {
	case tp.all:
		return true
	case tp.hops > 0:
		return hop < tp.hops
	}
	a = a.Unmap()
	for _, p := range tp.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP returns the address of the client that made r: the peer address, or, walking
// X-Forwarded-For from the right while each hop is a trusted proxy, the first untrusted one.
func (tp TrustProxy) ClientIP(r *http.Request) netip.Addr {
	peer := remoteAddr(r)
	if !tp.Enabled() {
		return peer
	}
	chain := forwardedFor(r)
	if len(chain) == 0 {
		return peer
	}
	if tp.all {
		return chain[0]
	}
	cur := peer
	for hop := 0; ; hop++ {
		if !tp.trusts(cur, hop) || len(chain) == 0 {
			return cur
		}
		cur, chain = chain[len(chain)-1], chain[:len(chain)-1]
	}
}

// IsSecure reports whether the client reached us over TLS, directly or (when the peer is a
// trusted proxy) according to X-Forwarded-Proto.
func (tp TrustProxy) IsSecure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !tp.trusts(remoteAddr(r), 0) {
		return false
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.IPv4Unspecified()
	}
	return a.Unmap()
}

func forwardedFor(r *http.Request) []netip.Addr {
	var out []netip.Addr
	for _, h := range r.Header.Values("X-Forwarded-For") {
		for _, p := range strings.Split(h, ",") {
			p = strings.TrimSpace(p)
			if a, err := netip.ParseAddr(p); err == nil {
				out = append(out, a.Unmap())
			} else if ap, err := netip.ParseAddrPort(p); err == nil {
				out = append(out, ap.Addr().Unmap())
			}
		}
	}
	return out
}
