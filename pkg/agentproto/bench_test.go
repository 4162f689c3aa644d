package agentproto

import (
	"fmt"
	"testing"
)

// debianPackages builds n packages shaped like a Debian host's: short names,
// a one-line description, epoch-ful versions, a few pending updates.
func debianPackages(n int) []Package {
	out := make([]Package, n)
	for i := range out {
		p := Package{
			Name:           fmt.Sprintf("lib%s%d-%d", []string{"ssl", "xml", "gtk", "c", "z"}[i%5], i%7, i),
			Description:    fmt.Sprintf("shared library number %d – runtime files for <component> & friends", i),
			Category:       []string{"libs", "admin", "net", "utils"}[i%4],
			CurrentVersion: fmt.Sprintf("1:%d.%d.%d-%d+deb12u1", i%3, i%10, i%17, i%5),
		}
		if i%20 == 0 {
			p.AvailableVersion = fmt.Sprintf("1:%d.%d.%d-%d+deb12u2", i%3, i%10, i%17, i%5)
			p.NeedsUpdate = true
			p.IsSecurityUpdate = i%40 == 0
			p.SourceRepository = "http://deb.debian.org/debian-security bookworm-security/main"
		}
		out[i] = p
	}
	// Agents list packages in package-manager order, not sorted by name.
	for i, j := 0, len(out)-1; i < j; i, j = i+2, j-2 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// BenchmarkPackagesHash hashes the package list of a typical Debian host
// (~800 packages), which the agent does every check-in and the server for
// every report that carries packages.
func BenchmarkPackagesHash(b *testing.B) {
	pkgs := debianPackages(800)
	b.ReportAllocs()
	for b.Loop() {
		_ = PackagesHash(pkgs)
	}
}

func BenchmarkInterfacesHash(b *testing.B) {
	ifaces := []NetworkInterface{
		{Name: "eth0", Type: "ethernet", MACAddress: "AA:BB:CC:DD:EE:FF", Addresses: []InterfaceAddress{
			{Address: "192.0.2.10", Family: "inet", Netmask: "/24", Gateway: "192.0.2.1"},
			{Address: "fe80::1", Family: "inet6", Netmask: "/64"},
		}},
		{Name: "lo", Type: "loopback", Addresses: []InterfaceAddress{{Address: "127.0.0.1", Family: "inet", Netmask: "/8"}}},
		{Name: "docker0", Type: "bridge", MACAddress: "02:42:ac:11:00:01"},
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = InterfacesHash(ifaces)
	}
}

// BenchmarkReportSanitizeValidate is the per-report hygiene cost on ingest
// for an ~800-package report with nothing to clean.
func BenchmarkReportSanitizeValidate(b *testing.B) {
	r := sampleReport()
	r.Packages = debianPackages(800)
	b.ReportAllocs()
	for b.Loop() {
		r.Sanitize()
		if err := r.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
