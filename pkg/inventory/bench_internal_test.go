package inventory

import (
	"fmt"
	"testing"

	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

func benchPackages(n int) []agentproto.Package {
	out := make([]agentproto.Package, n)
	for i := range out {
		out[i] = agentproto.Package{
			Name:             fmt.Sprintf("lib%05d-common", n-i),
			Description:      "shared library and support files for the simulated package set",
			Category:         "libs",
			CurrentVersion:   fmt.Sprintf("2.%d.%d-1+deb12u1", i%9, i%13),
			SourceRepository: "http://deb.debian.org/debian bookworm/main",
			NeedsUpdate:      i%10 == 0,
		}
		if out[i].NeedsUpdate {
			out[i].AvailableVersion = out[i].CurrentVersion + "2"
		}
	}
	return out
}

// BenchmarkPrepare measures the CPU side of a report before the database: validation,
// the four section hashes, cleaning, trimming, deduplication and sorting.
func BenchmarkPrepare(b *testing.B) {
	for _, n := range []int{200, 800} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			pkgs := benchPackages(n)
			b.ReportAllocs()
			for b.Loop() {
				r := &agentproto.Report{Packages: append([]agentproto.Package(nil), pkgs...), Hostname: "web-1",
					Repositories: []agentproto.Repository{{URL: "http://deb.debian.org/debian", Distribution: "bookworm", Components: "main"}}}
				if _, err := prepare(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCompareVersions(b *testing.B) {
	for b.Loop() {
		CompareVersions("1:2.38.1-5+deb12u3", "1:2.38.1-5+deb12u10")
	}
}
