package agentkit_test

import (
	"context"
	"testing"

	"github.com/patchmon-go/patchmon/agentkit"
	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// BenchmarkBuildReportRealHost is a full collection on the machine running
// it, without a package cache refresh: what every check-in costs. Run:
// go test -run '^$' -bench BuildReportRealHost -benchtime 5x ./agentkit/
func BenchmarkBuildReportRealHost(b *testing.B) {
	a, err := agentkit.New(agentkit.Config{PackageCacheRefresh: collect.RefreshNever})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var r *agentproto.Report
	for b.Loop() {
		if r, err = a.BuildReport(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(r.Packages)), "packages")
}

// BenchmarkBuildReportFake isolates the agent's own work (sanitising,
// hashing, assembling) from the collectors.
func BenchmarkBuildReportFake(b *testing.B) {
	host := newFakeHost()
	pkgs := make([]agentproto.Package, 0, 800)
	for i := range 800 {
		p := host.pkgs[i%2]
		p.Name = p.Name + "-" + string(rune('a'+i%26)) + string(rune('a'+i/26%26))
		pkgs = append(pkgs, p)
	}
	host.setPackages(pkgs)
	a, err := agentkit.New(agentkit.Config{PackageManager: host, System: host, Hardware: host, Network: host})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.BuildReport(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
