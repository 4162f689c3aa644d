package loadgen_test

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/agenthub/loadgen"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

// A small run against a real server: seeding, connecting from several source
// addresses, a timed broadcast, a storm, unseeding.
func TestRun(t *testing.T) {
	t.Parallel()
	cfg := patchmon.DefaultConfig()
	cfg.NodeEnv = "development"
	cfg.DatabaseURL = patchmontest.DatabaseURL(t)
	s := patchmontest.NewServer(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	creds := filepath.Join(t.TempDir(), "creds.txt")

	var out bytes.Buffer
	require.NoError(t, loadgen.Run(ctx, loadgen.Options{DatabaseURL: cfg.DatabaseURL, SeedHosts: 8, CredentialsFile: creds}, &out))
	read, err := loadgen.ReadCredentials(creds)
	require.NoError(t, err)
	require.Len(t, read, 8)

	out.Reset()
	err = loadgen.Run(ctx, loadgen.Options{
		ServerURL: s.URL, CredentialsFile: creds, SourceCount: 3, User: "wsload-admin", Password: "Wsload-Passw0rd!",
		Broadcasts: 1, Storm: true, ServerPID: -1, Idle: time.Second, DatabaseURL: cfg.DatabaseURL,
	}, &out)
	require.NoError(t, err, out.String())
	t.Log(out.String())
	assert.Contains(t, out.String(), "connected: 8 in")
	assert.Contains(t, out.String(), "broadcast 60: 8/8 agents got it (8 within 2s)")
	assert.Contains(t, out.String(), "(delivered 8, offline 0, failed 0)")
	assert.Contains(t, out.String(), "storm: all 8 dropped at once")
	assert.Contains(t, out.String(), "auth errors 0, rate limited 0, other errors 0")

	out.Reset()
	require.NoError(t, loadgen.Run(ctx, loadgen.Options{DatabaseURL: cfg.DatabaseURL, Unseed: true}, &out))
	assert.Contains(t, out.String(), "deleted 8 hosts")
}

func TestSampleProcessAndSources(t *testing.T) {
	t.Parallel()
	ps, err := loadgen.SampleProcess(os.Getpid())
	var src []netip.Addr
	require.NoError(t, err)
	assert.Positive(t, ps.RSS)
	assert.Positive(t, ps.Threads)

	src, err = loadgen.Sources(3)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.4", src[2].String())
	_, err = loadgen.Sources(251)
	assert.Error(t, err)
	_, err = loadgen.NewFleet(loadgen.FleetConfig{ServerURL: "ftp://x", Agents: []loadgen.Credential{{}}})
	assert.Error(t, err)
}
