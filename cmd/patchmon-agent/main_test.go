package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit"
	"github.com/patchmon-go/patchmon/agentkit/agentcli"
	"github.com/patchmon-go/patchmon/agentkit/agenttest"
)

// build compiles this command with the given version.
func build(t testing.TB, version string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "patchmon-agent")
	cmd := exec.Command("go", "build", "-o", out,
		"-ldflags", "-X github.com/patchmon-go/patchmon/agentkit.buildVersion="+version, ".")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
	return out
}

func TestVersionFlag(t *testing.T) {
	t.Parallel()
	bin := build(t, "1.2.3")
	out, err := exec.Command(bin, "--version").Output()
	require.NoError(t, err)
	assert.Equal(t, "PatchMon Agent v1.2.3\n", string(out))
	require.NoError(t, run(context.Background(), []string{"version"}, func(string) string { return "" }))
}

// TestSelfUpdateWithRealBuild serves a new build of the agent from the fake
// server and runs update-agent against an installed older build: with the
// right hash it is installed (and runs), with a wrong one it is refused.
func TestSelfUpdateWithRealBuild(t *testing.T) {
	t.Parallel()
	oldBin, newBin := build(t, "1.0.0"), build(t, "9.9.9")
	newBytes, err := os.ReadFile(newBin)
	require.NoError(t, err)
	oldBytes, err := os.ReadFile(oldBin)
	require.NoError(t, err)

	for _, tc := range []struct {
		name string
		hash string
		ok   bool
	}{{"hash matches", "", true}, {"hash mismatch", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := agenttest.NewServer(t)
			srv.SetRelease("9.9.9", newBytes, true, tc.hash)
			installDir, cfgDir := t.TempDir(), t.TempDir()
			installed := filepath.Join(installDir, "patchmon-agent")
			require.NoError(t, os.WriteFile(installed, oldBytes, 0o755))

			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var stdout bytes.Buffer
			env := func(args ...string) agentcli.Env {
				return agentcli.Env{Args: append([]string{"--config", filepath.Join(cfgDir, "config.yml")}, args...),
					Stdout: &stdout, Euid: 0, Executable: installed}
			}
			require.NoError(t, agentcli.Run(ctx, env("config", "set-api", srv.APIID, srv.APIKey, srv.URL)))
			err := agentcli.Run(ctx, env("update-agent"))
			got, rerr := os.ReadFile(installed)
			require.NoError(t, rerr)
			if !tc.ok {
				require.ErrorIs(t, err, agentkit.ErrHashMismatch)
				assert.Equal(t, oldBytes, got, "a refused update leaves the binary alone")
				return
			}
			require.NoError(t, err)
			assert.Contains(t, stdout.String(), "✅ Agent updated from "+agentkit.Version()+" to 9.9.9")
			assert.Equal(t, newBytes, got)
			out, err := exec.Command(installed, "--version").Output()
			require.NoError(t, err)
			assert.Equal(t, "PatchMon Agent v9.9.9\n", string(out))
			backups, _ := filepath.Glob(installed + ".backup.*")
			require.Len(t, backups, 1)
			b, err := os.ReadFile(backups[0])
			require.NoError(t, err)
			assert.Equal(t, oldBytes, b)
			// The loop guard holds across processes: it is on disk.
			err = agentcli.Run(ctx, env("update-agent"))
			assert.ErrorIs(t, err, agentkit.ErrUpdateTooSoon)
		})
	}
}
