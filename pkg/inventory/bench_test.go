package inventory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/agentproto"
	"github.com/patchmon-go/patchmon/pkg/inventory"
)

// BenchmarkPing measures one hash-gated check-in through the service (credential cache
// hit, one database round trip), without HTTP.
func BenchmarkPing(b *testing.B) {
	e := setup(b)
	h := e.newHost("bench")
	ctx := context.Background()
	a, err := e.svc.Authenticate(ctx, h.apiID, h.apiKey)
	require.NoError(b, err)
	req := &agentproto.PingRequest{Hashes: agentproto.PingHashes{PackagesHash: "x"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.svc.Authenticate(ctx, h.apiID, h.apiKey); err != nil {
			b.Fatal(err)
		}
		if _, err := e.svc.Ping(ctx, a, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIngest measures full reports of 200 packages of which 5 % change each time,
// the steady state of a fleet, through the service (no HTTP).
func BenchmarkIngest(b *testing.B) {
	e := setup(b)
	h := e.newHost("bench")
	ctx := context.Background()
	a, err := e.svc.Authenticate(ctx, h.apiID, h.apiKey)
	require.NoError(b, err)
	pkgs := packages(200, "")
	rep := fullReport(pkgs)
	_, err = e.svc.Ingest(ctx, a, &rep, inventory.ReportMeta{})
	require.NoError(b, err)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		for j := 0; j < 10; j++ { // 5 % of 200
			pkgs[(i*10+j)%len(pkgs)].CurrentVersion = fmt.Sprintf("3.%d-1", i)
		}
		i++
		r := fullReport(append([]agentproto.Package(nil), pkgs...))
		res, err := e.svc.Ingest(ctx, a, &r, inventory.ReportMeta{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Changed != 10 {
			b.Fatalf("changed %d rows, want 10", res.Changed)
		}
	}
}

// BenchmarkFirstReport measures a host's first 800-package report (all rows new,
// written with COPY) against a catalogue that already knows the packages.
func BenchmarkFirstReport(b *testing.B) { benchFirst(b, setup(b)) }

func benchFirst(b *testing.B, e *env) {
	ctx := context.Background()
	pkgs := packages(800, "")
	seed := e.newHost("seed")
	a, err := e.svc.Authenticate(ctx, seed.apiID, seed.apiKey)
	require.NoError(b, err)
	r := fullReport(pkgs)
	_, err = e.svc.Ingest(ctx, a, &r, inventory.ReportMeta{})
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		h := e.newHost("bench")
		a, err := e.svc.Authenticate(ctx, h.apiID, h.apiKey)
		require.NoError(b, err)
		r := fullReport(append([]agentproto.Package(nil), pkgs...))
		b.StartTimer()
		if _, err := e.svc.Ingest(ctx, a, &r, inventory.ReportMeta{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReportHTTP measures full 200-package reports (5 % changed) from 16 hosts in
// parallel through the whole HTTP stack: routing, authentication, decoding, ingest. The
// bodies are encoded before the timer, so the profile is the server's.
func BenchmarkReportHTTP(b *testing.B) {
	e := setup(b)
	const hosts = 16
	type agent struct {
		h      host
		bodies [][]byte
	}
	agents := make([]agent, hosts)
	for i := range agents {
		agents[i].h = e.newHost(fmt.Sprintf("bench-%02d", i))
		pkgs := packages(200, "")
		for round := 0; round < 64; round++ {
			for j := 0; j < 10; j++ {
				pkgs[(round*10+j)%len(pkgs)].CurrentVersion = fmt.Sprintf("3.%d-%d", round, i)
			}
			raw, err := json.Marshal(fullReport(append([]agentproto.Package(nil), pkgs...)))
			require.NoError(b, err)
			agents[i].bodies = append(agents[i].bodies, raw)
		}
		resp := e.do(&agents[i].h, "POST", "/api/v1/hosts/update", agents[i].bodies[0])
		require.Equal(b, http.StatusOK, resp.status, "%s", resp.body)
	}
	var next atomic.Int64
	b.SetParallelism(8) // 16 in flight on two cores, as in the load-generator runs
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		n := 0
		for pb.Next() {
			a := &agents[next.Add(1)%hosts]
			n++
			resp := e.do(&a.h, "POST", "/api/v1/hosts/update", a.bodies[1+n%63])
			if resp.status != http.StatusOK {
				b.Errorf("status %d: %s", resp.status, resp.body)
				return
			}
		}
	})
}
