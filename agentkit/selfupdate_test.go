package agentkit_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// script is a stand-in agent binary that reports version.
func script(version string) []byte {
	return []byte("#!/bin/sh\necho \"PatchMon Agent v" + version + "\"\n")
}

// installed writes the "current" binary and returns its path.
func installed(t *testing.T, version string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "patchmon-agent")
	require.NoError(t, os.WriteFile(p, script(version), 0o755))
	return p
}

func updateSetup(t *testing.T, mod func(*agentkit.Config)) (*bundle, string) {
	t.Helper()
	bin := installed(t, "1.0.0")
	b := setup(t, func(c *agentkit.Config) {
		c.BinaryPath = bin
		if mod != nil {
			mod(c)
		}
	})
	return b, bin
}

func TestUpdateAgentHashMatch(t *testing.T) {
	t.Parallel()
	b, bin := updateSetup(t, nil)
	b.srv.SetRelease("1.1.0", script("1.1.0"), true, "")
	res, err := b.agent.UpdateAgent(context.Background(), false)
	require.NoError(t, err)
	assert.True(t, res.Updated)
	assert.Equal(t, "1.0.0", res.CurrentVersion)
	assert.Equal(t, "1.1.0", res.LatestVersion)
	got, err := os.ReadFile(bin)
	require.NoError(t, err)
	assert.Equal(t, script("1.1.0"), got, "the new binary is in place")
	fi, err := os.Stat(bin)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm())
	old, err := os.ReadFile(res.Backup)
	require.NoError(t, err)
	assert.Equal(t, script("1.0.0"), old, "the previous binary is backed up")
	bfi, err := os.Stat(res.Backup)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), bfi.Mode().Perm())
	// The loop guard: a second update right away is refused.
	_, err = b.agent.UpdateAgent(context.Background(), true)
	assert.ErrorIs(t, err, agentkit.ErrUpdateTooSoon)
	assert.FileExists(t, filepath.Join(b.cfg.StateDir, ".last_update_timestamp"))
}

func TestUpdateAgentHashMismatch(t *testing.T) {
	t.Parallel()
	b, bin := updateSetup(t, nil)
	b.srv.SetRelease("1.1.0", script("1.1.0"), true, "0000000000000000000000000000000000000000000000000000000000000000")
	_, err := b.agent.UpdateAgent(context.Background(), true)
	require.ErrorIs(t, err, agentkit.ErrHashMismatch)
	assertUntouched(t, bin)
}

func TestUpdateAgentRefusals(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		binary []byte
		hash   string
		want   error
	}{
		"no hash":          {script("1.1.0"), "-", agentkit.ErrNoHash},
		"not a hash":       {script("1.1.0"), "abc", agentkit.ErrNoHash},
		"wrong version":    {script("1.0.5"), "", agentkit.ErrVerifyFailed},
		"does not run":     {[]byte("\x7fELF garbage"), "", agentkit.ErrVerifyFailed},
		"crashes on start": {[]byte("#!/bin/sh\nexit 3\n"), "", agentkit.ErrVerifyFailed},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, bin := updateSetup(t, nil)
			b.srv.SetRelease("1.1.0", c.binary, true, c.hash)
			_, err := b.agent.UpdateAgent(context.Background(), true)
			require.ErrorIs(t, err, c.want)
			assertUntouched(t, bin)
		})
	}
}

// assertUntouched checks that a refused update left the binary and its
// directory as they were: no backup, no temporary file.
func assertUntouched(t *testing.T, bin string) {
	t.Helper()
	got, err := os.ReadFile(bin)
	require.NoError(t, err)
	assert.Equal(t, script("1.0.0"), got)
	entries, err := os.ReadDir(filepath.Dir(bin))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "nothing left next to the binary")
}

func TestUpdateAgentPolicy(t *testing.T) {
	t.Parallel()
	b, _ := updateSetup(t, nil)
	ctx := context.Background()
	// Up to date: nothing to do.
	b.srv.SetRelease("1.0.0", script("1.0.0"), false, "")
	res, err := b.agent.UpdateAgent(ctx, true)
	require.NoError(t, err)
	assert.False(t, res.Updated)
	assert.Contains(t, res.Message, "up to date")
	// Newer, but auto-update is off for this host: only a forced update.
	b.srv.SetRelease("1.1.0", script("1.1.0"), false, "")
	res, err = b.agent.UpdateAgent(ctx, false)
	require.NoError(t, err)
	assert.False(t, res.Updated)
	res, err = b.agent.UpdateAgent(ctx, true)
	require.NoError(t, err)
	assert.True(t, res.Updated)

	// No binary path: disabled. Unverified TLS: refused.
	a, err := agentkit.New(agentkit.Config{ServerURL: b.srv.URL, APIID: "a", APIKey: "b", PackageManager: newFakeHost()})
	require.NoError(t, err)
	_, err = a.UpdateAgent(ctx, true)
	assert.ErrorIs(t, err, agentkit.ErrSelfUpdateDisabled)
	a, err = agentkit.New(agentkit.Config{ServerURL: "https://patchmon.example.com", APIID: "a", APIKey: "b",
		SkipTLSVerify: true, BinaryPath: "/usr/local/bin/patchmon-agent", PackageManager: newFakeHost()})
	require.NoError(t, err)
	_, err = a.UpdateAgent(ctx, true)
	assert.ErrorIs(t, err, agentkit.ErrInsecureUpdate)
}

func TestUpdateAgentKeepsThreeBackups(t *testing.T) {
	t.Parallel()
	b, bin := updateSetup(t, nil)
	dir := filepath.Dir(bin)
	stamp := filepath.Join(b.cfg.StateDir, ".last_update_timestamp")
	for i, v := range []string{"1.1.0", "1.2.0", "1.3.0", "1.4.0", "1.5.0"} {
		// Backups are named by the second; make each update's distinct
		// by moving the existing ones back in time.
		matches, _ := filepath.Glob(bin + ".backup.*")
		for j, m := range matches {
			require.NoError(t, os.Rename(m, bin+".backup.2000010"+string(rune('1'+j))+"_000000"))
		}
		b.srv.SetRelease(v, script(v), true, "")
		a, err := agentkit.New(withVersion(b.cfg, []string{"1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"}[i]))
		require.NoError(t, err)
		res, err := a.UpdateAgent(context.Background(), false)
		require.NoError(t, err)
		require.True(t, res.Updated, v)
		require.NoError(t, os.Remove(stamp)) // lift the loop guard for the next round
	}
	matches, _ := filepath.Glob(bin + ".backup.*")
	assert.Len(t, matches, 3)
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 4, "binary and three backups")
}

func withVersion(c agentkit.Config, v string) agentkit.Config {
	c.AgentVersion = v
	return c
}

func TestRunAppliesAutoUpdateAndRestarts(t *testing.T) {
	t.Parallel()
	restarted := make(chan struct{}, 1)
	b, bin := updateSetup(t, func(c *agentkit.Config) {
		c.DisableWebSocket = true
		c.Restart = func(context.Context) error { restarted <- struct{}{}; return nil }
	})
	b.srv.SetRelease("1.1.0", script("1.1.0"), true, "")
	b.srv.SetAutoUpdate(&agentproto.AutoUpdate{ShouldUpdate: true, LatestVersion: "1.1.0", CurrentVersion: "1.0.0"})
	runAgent(t, b.agent)
	select {
	case <-restarted:
	case <-time.After(wait):
		t.Fatal("no restart after the automatic update")
	}
	got, err := os.ReadFile(bin)
	require.NoError(t, err)
	assert.Equal(t, script("1.1.0"), got)
}

func TestRunUpdateAgentCommandWithoutRestarter(t *testing.T) {
	t.Parallel()
	b, _ := updateSetup(t, fastWS)
	b.srv.SetUpdateInterval(0)
	b.srv.SetRelease("2.0.0", script("2.0.0"), false, "")
	done := runAgent(t, b.agent)
	b.srv.WaitConnected(wait)
	_, err := b.srv.SendCommand("update_agent", nil)
	require.NoError(t, err)
	select {
	case err := <-done:
		assert.ErrorIs(t, err, agentkit.ErrRestartRequired)
	case <-time.After(wait):
		t.Fatal("Run did not return after the update")
	}
}
