package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit/agentcli"
	"github.com/patchmon-go/patchmon/agentkit/agenttest"
)

// BenchmarkServeIdle measures the resident memory and CPU use of a real
// `patchmon-agent serve` process in its steady state: after its start-up
// check-in (a full report of this machine) it sits idle with its WebSocket
// open for the measurement window (PATCHMON_BENCH_IDLE, default 60s). It
// reports rss-MB (VmRSS at the end), hwm-MB (peak RSS) and idle-cpu-% (CPU time over
// the window). Run: go test -run '^$' -bench ServeIdle -benchtime 1x ./cmd/patchmon-agent/
func BenchmarkServeIdle(b *testing.B) {
	window := 60 * time.Second
	if v, err := time.ParseDuration(os.Getenv("PATCHMON_BENCH_IDLE")); err == nil {
		window = v
	}
	bin := build(b, "1.0.0")
	srv := agenttest.NewServer(b)
	dir := b.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	require.NoError(b, agentcli.Run(context.Background(), agentcli.Env{
		Args: []string{"--config", cfg, "config", "set-api", srv.APIID, srv.APIKey, srv.URL}, Euid: 0}))
	neverRefresh(b, dir)

	for range b.N {
		cmd := exec.Command(bin, "--config", cfg, "serve")
		require.NoError(b, cmd.Start())
		srv.WaitReports(1, 2*time.Minute)
		srv.WaitConnected(time.Minute)
		start := cpuTicks(b, cmd.Process.Pid)
		t0 := time.Now()
		time.Sleep(window) // the measurement window itself: the agent must stay idle
		ticks := cpuTicks(b, cmd.Process.Pid) - start
		rss, hwm := memKB(b, cmd.Process.Pid)
		elapsed := time.Since(t0)
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		b.ReportMetric(float64(rss)/1024, "rss-MB")
		b.ReportMetric(float64(hwm)/1024, "hwm-MB")
		// USER_HZ is 100 on Linux.
		b.ReportMetric(100*float64(ticks)/100/elapsed.Seconds(), "idle-cpu-%")
	}
}

func cpuTicks(b *testing.B, pid int) int64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	require.NoError(b, err)
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return utime + stime
}

func memKB(b *testing.B, pid int) (rss, hwm int64) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	require.NoError(b, err)
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			switch f[0] {
			case "VmRSS:":
				rss = v
			case "VmHWM:":
				hwm = v
			}
		}
	}
	return rss, hwm
}
