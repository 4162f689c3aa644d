package agentkit_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

func TestBuildReportSanitisesBeforeHashing(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.host.setPackages([]agentproto.Package{{Name: "bad\x00name", Description: "broken \xff utf-8", CurrentVersion: "1"}})
	r, err := b.agent.BuildReport(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "badname", r.Packages[0].Name)
	assert.Equal(t, "broken \uFFFD utf-8", r.Packages[0].Description)
	// The hashes are those of the report as sent: a server recomputing
	// them from the decoded JSON gets the same values.
	raw, err := json.Marshal(r)
	require.NoError(t, err)
	var back agentproto.Report
	require.NoError(t, json.Unmarshal(raw, &back))
	assert.Equal(t, agentproto.PackagesHash(back.Packages), r.Hashes.PackagesHash)
	assert.Equal(t, agentproto.ReposHash(back.Repositories), r.Hashes.ReposHash)
	assert.Equal(t, agentproto.InterfacesHash(back.NetworkInterfaces), r.Hashes.InterfacesHash)
	assert.Equal(t, agentproto.HostnameHash(back.Hostname), r.Hashes.HostnameHash)
	assert.Equal(t, "fake", r.PackageManager)
	assert.Equal(t, "1 hours, 30 minutes", r.SystemUptime)
	assert.NoError(t, r.Validate())
}

func TestBuildReportFailsWithoutPackages(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.host.update(func(f *fakeHost) { f.pkgErr = errors.New("dpkg is broken") })
	_, err := b.agent.BuildReport(context.Background())
	assert.ErrorContains(t, err, "dpkg is broken")
}

func TestCheckInIsHashGated(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()

	// First contact: the server knows nothing, the agent has no record of
	// a full report: everything is sent.
	res, err := b.agent.CheckIn(ctx)
	require.NoError(t, err)
	assert.True(t, res.Full)
	reps := b.srv.Reports()
	require.Len(t, reps, 1)
	assert.Empty(t, reps[0].Report.Sections)
	assert.True(t, reps[0].HashesMatch, "server-side hashes must equal the agent's")

	// Nothing changed: a ping and nothing else.
	res, err = b.agent.CheckIn(ctx)
	require.NoError(t, err)
	assert.False(t, res.Full)
	assert.Empty(t, res.Sections)
	assert.Len(t, b.srv.Reports(), 1)
	assert.Len(t, b.srv.Pings(), 2)
	ping := b.srv.Pings()[1].Ping
	require.NotNil(t, ping)
	assert.Equal(t, b.srv.Hashes().PackagesHash, ping.Hashes.PackagesHash)
	require.NotNil(t, ping.Metrics.CPUCores)
	assert.Equal(t, 4, *ping.Metrics.CPUCores)
	assert.Equal(t, "1.0.0", ping.AgentVersion)

	// A package changed: only the packages section travels.
	b.host.setPackages(append(b.host.pkgs, agentproto.Package{Name: "curl", CurrentVersion: "7.88.1-10+deb12u5"}))
	res, err = b.agent.CheckIn(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{agentproto.SectionPackages}, res.Sections)
	reps = b.srv.Reports()
	require.Len(t, reps, 2)
	part := reps[1].Report
	assert.Equal(t, []string{"packages"}, part.Sections)
	assert.Len(t, part.Packages, 3)
	assert.Empty(t, part.Hostname, "other sections are not sent")
	assert.True(t, reps[1].HashesMatch)

	// The hostname changed: the hostname section.
	b.host.update(func(f *fakeHost) { f.sys.Hostname = "web-02" })
	res, err = b.agent.CheckIn(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{agentproto.SectionHostname}, res.Sections)
	assert.Equal(t, "web-02", b.srv.Reports()[2].Report.Hostname)

	// A fact outside every section (the running kernel after a reboot):
	// a full report at once.
	b.host.update(func(f *fakeHost) { f.sys.KernelVersion = "6.1.0-27-amd64" })
	res, err = b.agent.CheckIn(ctx)
	require.NoError(t, err)
	assert.True(t, res.Full)
	assert.Equal(t, "6.1.0-27-amd64", b.srv.Reports()[3].Report.KernelVersion)
}

func TestFactsSurviveRestart(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()
	_, err := b.agent.CheckIn(ctx)
	require.NoError(t, err)

	// A new process with the same StateDir knows the facts were sent:
	// the hash gate decides, and nothing is sent.
	a2, err := agentkit.New(b.cfg)
	require.NoError(t, err)
	res, err := a2.CheckIn(ctx)
	require.NoError(t, err)
	assert.False(t, res.Full)
	assert.Empty(t, res.Sections)
	assert.Len(t, b.srv.Reports(), 1)
}

func TestSendReportIsFull(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()
	_, err := b.agent.CheckIn(ctx)
	require.NoError(t, err)
	res, err := b.agent.SendReport(ctx)
	require.NoError(t, err)
	assert.True(t, res.Full)
	require.NotNil(t, res.Update)
	assert.Equal(t, 2, res.Update.PackagesProcessed)
	assert.Equal(t, 1, res.Update.SecurityUpdates)
	assert.Len(t, b.srv.Reports(), 2)
}

func TestGzipOnlyWhenAdvertised(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()
	b.srv.SetAcceptGzip(false)
	_, err := b.agent.SendReport(ctx)
	require.NoError(t, err)
	b.srv.SetAcceptGzip(true)
	_, err = b.agent.SendReport(ctx)
	require.NoError(t, err)
	reps := b.srv.Reports()
	require.Len(t, reps, 2)
	assert.False(t, reps[0].Gzipped, "no advertisement: plain JSON")
	assert.True(t, reps[1].Gzipped, "advertised on the ping: gzip")
	assert.Equal(t, "gzip", reps[1].Header.Get("Content-Encoding"))
	assert.False(t, b.srv.Pings()[0].Gzipped)
}

func TestCredentialsRejected(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *agentkit.Config) { c.APIKey = "wrong" })
	_, err := b.agent.Ping(context.Background())
	var he *agentkit.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 401, he.StatusCode)
	assert.Equal(t, "Invalid API credentials", he.Message)
	// A rejected check-in is not spooled: retrying would never help.
	res, err := b.agent.CheckIn(context.Background())
	require.Error(t, err)
	assert.False(t, res.Spooled)
	assert.Zero(t, b.agent.Spooled())
}

func TestNotConfigured(t *testing.T) {
	t.Parallel()
	a, err := agentkit.New(agentkit.Config{PackageManager: newFakeHost()})
	require.NoError(t, err)
	_, err = a.Ping(context.Background())
	assert.ErrorIs(t, err, agentkit.ErrNotConfigured)
	assert.ErrorIs(t, a.Run(context.Background()), agentkit.ErrNotConfigured)
	_, err = a.CheckIn(context.Background())
	assert.ErrorIs(t, err, agentkit.ErrNotConfigured)
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		cfg   agentkit.Config
		field string
	}{
		{agentkit.Config{ServerURL: "patchmon.example.com"}, "ServerURL"},
		{agentkit.Config{ServerURL: "ftp://x"}, "ServerURL"},
		{agentkit.Config{APIVersion: "v1/x"}, "APIVersion"},
		{agentkit.Config{PackageCacheRefresh: "sometimes"}, "PackageCacheRefresh"},
		{agentkit.Config{ReconnectMin: time.Minute, ReconnectMax: time.Second}, "ReconnectMax"},
	} {
		_, err := agentkit.New(c.cfg)
		assert.ErrorIs(t, err, agentkit.ErrInvalidConfig)
		assert.ErrorContains(t, err, c.field)
	}
	a, err := agentkit.New(agentkit.Config{ServerURL: "https://patchmon.example.com/"})
	require.NoError(t, err)
	c := a.Config()
	assert.Equal(t, "https://patchmon.example.com", c.ServerURL)
	assert.Equal(t, "v1", c.APIVersion)
	assert.Equal(t, time.Hour, c.UpdateInterval)
	assert.Equal(t, 24, c.FullReportEvery)
	assert.Equal(t, 30*time.Second, c.PingInterval)
}

func TestSpoolDeliversAfterOutage(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()
	b.srv.SetDown(true)
	res, err := b.agent.CheckIn(ctx)
	require.Error(t, err)
	assert.True(t, res.Spooled)
	b.host.setPackages(append(b.host.pkgs, agentproto.Package{Name: "zsh", CurrentVersion: "5.9-4+b2"}))
	_, err = b.agent.CheckIn(ctx)
	require.Error(t, err)
	assert.Equal(t, 2, b.agent.Spooled())
	files, err := os.ReadDir(b.cfg.SpoolDir)
	require.NoError(t, err)
	assert.Len(t, files, 2, "one file per undelivered report")

	// A restarted agent (same spool directory) delivers both, oldest
	// first, before its own check-in.
	b.srv.SetDown(false)
	a2, err := agentkit.New(b.cfg)
	require.NoError(t, err)
	_, err = a2.CheckIn(ctx)
	require.NoError(t, err)
	reps := b.srv.Reports()
	require.GreaterOrEqual(t, len(reps), 2)
	assert.Len(t, reps[0].Report.Packages, 2)
	assert.Len(t, reps[1].Report.Packages, 3)
	assert.Zero(t, a2.Spooled())
}

func TestSpoolIsBounded(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *agentkit.Config) { c.SpoolMaxReports = 3 })
	b.srv.SetDown(true)
	for range 5 {
		_, err := b.agent.SendReport(context.Background())
		require.Error(t, err)
	}
	assert.Equal(t, 3, b.agent.Spooled())
}

func TestSpoolInMemory(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *agentkit.Config) { c.SpoolDir = "" })
	b.srv.SetDown(true)
	_, err := b.agent.SendReport(context.Background())
	require.Error(t, err)
	assert.Equal(t, 1, b.agent.Spooled())
	b.srv.SetDown(false)
	n, err := b.agent.FlushSpool(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Len(t, b.srv.Reports(), 1)
}
