package agentkit_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit"
	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

var update = flag.Bool("update", false, "rewrite golden files")

func copyTo(t *testing.T, src string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "config.yml")
	require.NoError(t, os.WriteFile(p, b, 0o600))
	return p
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the output (run go test -update and review):\n%s", path, got)
	}
}

func TestLoadFileDocumented(t *testing.T) {
	t.Parallel()
	f, err := agentkit.LoadFile("testdata/config-documented.yml")
	require.NoError(t, err)
	assert.True(t, f.Exists)
	assert.Equal(t, "https://patchmon.example.com", f.PatchmonServer)
	assert.Equal(t, "/etc/patchmon/credentials.yml", f.CredentialsFile)
	assert.Equal(t, "debug", f.LogLevel)
	assert.Equal(t, 60, f.UpdateInterval)
	assert.Equal(t, "on-demand", f.Integrations.Compliance)
	assert.True(t, f.Integrations.SSHProxyEnabled)
	assert.Equal(t, "if_stale", f.PackageCacheRefreshMode, "default")

	c := f.AgentConfig()
	assert.Equal(t, time.Hour, c.UpdateInterval)
	assert.Equal(t, "testdata/spool", c.SpoolDir)
	assert.Equal(t, "testdata", c.StateDir)
	assert.Same(t, f, c.Settings)
}

func TestLoadFileMissingUsesDefaults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f, err := agentkit.LoadFile(filepath.Join(dir, "config.yml"))
	require.NoError(t, err)
	assert.False(t, f.Exists)
	assert.Equal(t, "v1", f.APIVersion)
	assert.Equal(t, filepath.Join(dir, "credentials.yml"), f.CredentialsFile)
	assert.Equal(t, filepath.Join(dir, "logs", "patchmon-agent.log"), f.LogFile)
	assert.Equal(t, "info", f.LogLevel)
	assert.ErrorIs(t, f.LoadCredentials(), agentkit.ErrNoCredentials)
}

func TestLoadFileErrors(t *testing.T) {
	t.Parallel()
	for name, content := range map[string]string{
		"not a mapping":  "- a\n- b\n",
		"bad interval":   "update_interval: often\n",
		"bad boolean":    "skip_ssl_verify: maybe\n",
		"bad compliance": "integrations:\n  compliance: sometimes\n",
		"broken yaml":    "patchmon_server: [\n",
		"nested string":  "patchmon_server:\n  a: b\n",
	} {
		p := filepath.Join(t.TempDir(), "config.yml")
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		_, err := agentkit.LoadFile(p)
		assert.Error(t, err, name)
	}
}

func TestSaveSettingsPreservesLocalEdits(t *testing.T) {
	t.Parallel()
	p := copyTo(t, "testdata/config-documented.yml")
	f, err := agentkit.LoadFile(p)
	require.NoError(t, err)
	// The administrator edits the file while the agent runs.
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, bytes.Replace(b, []byte(`log_level: "debug"`), []byte(`log_level: "warn"`), 1), 0o600))

	require.NoError(t, f.SaveSettings(context.Background(), agentkit.Settings{
		UpdateInterval: 30 * time.Minute, ReportOffset: 847 * time.Second,
		PackageCacheRefresh: collect.RefreshNever, PackageCacheMaxAge: 2 * time.Hour,
		Integrations: &agentkit.IntegrationSettings{Docker: true, Compliance: agentproto.ComplianceModeEnabled},
	}))
	out, err := os.ReadFile(p)
	require.NoError(t, err)
	golden(t, "testdata/config-documented.golden", out)
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	g, err := agentkit.LoadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "warn", g.LogLevel, "the hand edit survives")
	assert.True(t, g.Integrations.SSHProxyEnabled, "never changed by the agent")
	assert.Equal(t, 30, g.UpdateInterval)
	assert.Equal(t, 847, g.ReportOffset)
	assert.Equal(t, "never", g.PackageCacheRefreshMode)
	assert.Equal(t, 120, g.PackageCacheRefreshMaxAge)
	assert.True(t, g.Integrations.Docker)
	assert.Equal(t, "enabled", g.Integrations.Compliance)
}

func TestSaveSettingsNestedCompliance(t *testing.T) {
	t.Parallel()
	p := copyTo(t, "testdata/config-nested.yml")
	f, err := agentkit.LoadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "disabled", f.Integrations.Compliance)
	require.NotNil(t, f.Integrations.OpenSCAP)
	assert.True(t, *f.Integrations.OpenSCAP)
	assert.True(t, f.SkipSSLVerify)
	no := false
	require.NoError(t, f.SaveSettings(context.Background(), agentkit.Settings{
		UpdateInterval: time.Hour, ReportOffset: 12 * time.Second, PackageCacheRefresh: collect.RefreshAlways, PackageCacheMaxAge: time.Hour,
		Integrations: &agentkit.IntegrationSettings{Compliance: agentproto.ComplianceModeOnDemand, OpenSCAP: &no},
	}))
	out, err := os.ReadFile(p)
	require.NoError(t, err)
	golden(t, "testdata/config-nested.golden", out)
}

func TestCredentialsAndServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f, err := agentkit.LoadFile(filepath.Join(dir, "config.yml"))
	require.NoError(t, err)
	require.NoError(t, f.SaveServer("https://patchmon.example.com/"))
	require.NoError(t, f.SaveCredentials("patchmon_a1b2c3d4", "abcdef1234567890"))
	assert.ErrorContains(t, f.SaveServer("patchmon.example.com"), "http")
	assert.Error(t, f.SaveCredentials("", "x"))

	for _, name := range []string{"config.yml", "credentials.yml"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), name)
	}
	g, err := agentkit.LoadFile(filepath.Join(dir, "config.yml"))
	require.NoError(t, err)
	require.NoError(t, g.LoadCredentials())
	assert.Equal(t, "https://patchmon.example.com", g.PatchmonServer)
	assert.Equal(t, "patchmon_a1b2c3d4", g.APIID)
	assert.Equal(t, "abcdef1234567890", g.APIKey)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "no temporary files left behind")
}

func FuzzLoadFile(f *testing.F) {
	for _, p := range []string{"testdata/config-documented.yml", "testdata/config-nested.yml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, in string) {
		p := filepath.Join(t.TempDir(), "config.yml")
		if err := os.WriteFile(p, []byte(in), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := agentkit.LoadFile(p)
		if err != nil {
			return
		}
		// Whatever loads must survive a settings write and load again.
		if err := cfg.SaveSettings(context.Background(), agentkit.Settings{UpdateInterval: time.Hour,
			Integrations: &agentkit.IntegrationSettings{Compliance: agentproto.ComplianceModeOnDemand}}); err != nil {
			t.Fatalf("save: %v", err)
		}
		if _, err := agentkit.LoadFile(p); err != nil {
			t.Fatalf("reload after save: %v", err)
		}
	})
}
