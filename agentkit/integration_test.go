package agentkit_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit"
	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// TestRealHost runs the real collectors on the machine running the tests (the
// Debian build machine) without refreshing the package cache, and checks
// that the result is sane.
func TestRealHost(t *testing.T) {
	t.Parallel()
	a, err := agentkit.New(agentkit.Config{PackageCacheRefresh: collect.RefreshNever, Logger: testLogger(t)})
	require.NoError(t, err)
	require.NotEmpty(t, a.PackageManagerName(), "no supported package manager on this machine")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := a.BuildReport(ctx)
	require.NoError(t, err)
	require.NoError(t, r.Validate())

	assert.Greater(t, len(r.Packages), 100, "a real host has more than 100 packages")
	names := map[string]bool{}
	for _, p := range r.Packages {
		assert.False(t, names[p.Name], "duplicate package %s", p.Name)
		names[p.Name] = true
		assert.NotEmpty(t, p.CurrentVersion, p.Name)
		if p.NeedsUpdate {
			assert.NotEmpty(t, p.AvailableVersion, p.Name)
		}
		if p.IsSecurityUpdate {
			assert.True(t, p.NeedsUpdate, p.Name)
		}
	}
	assert.NotEmpty(t, r.Repositories)
	assert.NotEmpty(t, r.OSType)
	assert.NotEmpty(t, r.OSVersion)
	assert.NotEmpty(t, r.Hostname)
	assert.NotEmpty(t, r.Architecture)
	assert.Regexp(t, regexp.MustCompile(`^\d+\.\d+`), r.KernelVersion)
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f-]{32,36}$`), r.MachineID)
	assert.Greater(t, r.CPUCores, 0)
	assert.Greater(t, r.RAMInstalled, 0.0)
	assert.NotEmpty(t, r.DiskDetails)
	assert.Len(t, r.LoadAverage, 3)
	require.NotNil(t, r.BootTime)
	assert.True(t, r.BootTime.Before(time.Now()))
	assert.NotEmpty(t, r.NetworkInterfaces)
	assert.Contains(t, []string{"enabled", "permissive", "disabled"}, r.SELinuxStatus)
	require.NotNil(t, r.Hashes)
	assert.Len(t, r.Hashes.PackagesHash, 64)
	require.NotNil(t, r.AgentExecutionMs)
	t.Logf("%s %s, %d packages (%d updates), %d repositories, collected in %d ms",
		r.OSType, r.OSVersion, len(r.Packages), countUpdates(r.Packages), len(r.Repositories), *r.AgentExecutionMs)
}

func countUpdates(pkgs []agentproto.Package) int {
	n := 0
	for _, p := range pkgs {
		if p.NeedsUpdate {
			n++
		}
	}
	return n
}
