package apt

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/agentkit/collect/collecttest"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

var update = flag.Bool("update", false, "rewrite golden files")

// bookworm is a Debian 12 host whose command output was captured on the
// build machine (testdata/dpkg-query.txt, apt-cache-policy.txt).
func bookworm(t *testing.T) *Manager {
	t.Helper()
	r := collecttest.NewRunner().
		SetFile(t, "dpkg --print-architecture", "testdata/dpkg-print-architecture.txt").
		SetFile(t, "dpkg-query -W", "testdata/dpkg-query.txt").
		SetFile(t, "apt-cache policy", "testdata/apt-cache-policy.txt")
	return New(collect.Host{Root: "testdata/bookworm", Runner: r})
}

func byName(pkgs []agentproto.Package) map[string]agentproto.Package {
	m := make(map[string]agentproto.Package, len(pkgs))
	for _, p := range pkgs {
		m[p.Name] = p
	}
	return m
}

func TestPackagesBookworm(t *testing.T) {
	t.Parallel()
	pkgs, err := bookworm(t).Packages(context.Background())
	require.NoError(t, err)
	require.Len(t, pkgs, 823)
	got := byName(pkgs)
	require.Len(t, got, 823, "names must be unique")

	// Cross-check against what `apt list --upgradable` printed on the same
	// machine at the same moment: the same packages need an update, to the
	// same versions, and those offered from a -security suite are flagged.
	upgradable := 0
	lines := strings.Split(readFile(t, "testdata/apt-list-upgradable.txt"), "\n")
	for _, line := range lines {
		name, rest, ok := strings.Cut(line, "/")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		require.GreaterOrEqual(t, len(f), 2, line)
		upgradable++
		p, ok := got[name]
		require.True(t, ok, name)
		assert.True(t, p.NeedsUpdate, name)
		assert.Equal(t, f[1], p.AvailableVersion, name)
		assert.Equal(t, strings.Contains(f[0], "-security"), p.IsSecurityUpdate, name)
	}
	needs := 0
	for _, p := range pkgs {
		if p.NeedsUpdate {
			needs++
			assert.NotEmpty(t, p.SourceRepository, p.Name)
		}
	}
	assert.Equal(t, upgradable, needs)
	assert.Equal(t, 123, needs)

	// Spot checks.
	sasl := got["libsasl2-2"]
	assert.Equal(t, "2.1.28+dfsg-10", sasl.CurrentVersion)
	assert.Equal(t, "2.1.28+dfsg-10+deb12u1", sasl.AvailableVersion)
	assert.True(t, sasl.IsSecurityUpdate)
	assert.Equal(t, "http://deb.debian.org/debian-security bookworm-security/main", sasl.SourceRepository)
	// Available from both the point release and the security archive:
	// still a security update.
	jwt := got["python3-jwt"]
	assert.True(t, jwt.IsSecurityUpdate)
	assert.Equal(t, "http://deb.debian.org/debian-security bookworm-security/main", jwt.SourceRepository)
	// A point-release-only update is not.
	base := got["base-files"]
	assert.True(t, base.NeedsUpdate)
	assert.False(t, base.IsSecurityUpdate)
	assert.Equal(t, "http://deb.debian.org/debian bookworm/main", base.SourceRepository)
	// Multi-arch "same" packages keep their plain name on the native
	// architecture.
	bc := got["binutils-common"]
	assert.Equal(t, "2.40-2", bc.CurrentVersion)
	assert.Equal(t, "devel", bc.Category)
	assert.Equal(t, "Common files for the GNU assembler, linker and binary utilities", bc.Description)

	golden(t, "testdata/bookworm-packages.golden", pkgs)
}

func TestPackagesJammyEdgeCases(t *testing.T) {
	t.Parallel()
	r := collecttest.NewRunner().
		SetOutput("dpkg --print-architecture", "amd64\n").
		SetFile(t, "dpkg-query -W", "testdata/jammy-dpkg-query.txt").
		SetFile(t, "apt-cache policy", "testdata/jammy-apt-cache-policy.txt")
	pkgs, err := New(collect.Host{Root: "testdata/jammy", Runner: r}).Packages(context.Background())
	require.NoError(t, err)
	got := byName(pkgs)

	// Removed-but-not-purged, unpacked-only and never-installed rows are
	// not installed; held ("hi") and trigger-pending ("it") ones are.
	for _, gone := range []string{"linux-image-5.15.0-88-generic", "broken-half", "never-installed"} {
		assert.NotContains(t, got, gone)
	}
	for _, kept := range []string{"libssl3", "man-db", "apt", "libc6", "libc6:i386", "libssl3:i386"} {
		assert.Contains(t, got, kept)
	}
	assert.Len(t, pkgs, 13)

	// Phased update, candidate already the new version (apt >= 2.4.3).
	assert.Equal(t, agentproto.Package{
		Name: "apt", Description: "commandline package manager", Category: "admin",
		CurrentVersion: "2.4.6", AvailableVersion: "2.4.7", NeedsUpdate: true,
		SourceRepository: "http://archive.ubuntu.com/ubuntu jammy-updates/main",
	}, got["apt"])
	// Phased update pinned to priority 1 by an older apt: still pending.
	assert.True(t, got["libfoo1"].NeedsUpdate)
	assert.Equal(t, "1.0-2", got["libfoo1"].AvailableVersion)
	assert.False(t, got["libfoo1"].IsSecurityUpdate)

	// Multi-arch: both architectures, each with its own update; security
	// because the candidate is also in jammy-security.
	for _, n := range []string{"libc6", "libc6:i386"} {
		p := got[n]
		assert.True(t, p.NeedsUpdate, n)
		assert.True(t, p.IsSecurityUpdate, n)
		assert.Equal(t, "2.35-0ubuntu3.7", p.AvailableVersion, n)
		assert.Equal(t, "http://security.ubuntu.com/ubuntu jammy-security/main", p.SourceRepository, n)
	}
	// Held package: the update is still pending.
	assert.True(t, got["libssl3"].NeedsUpdate)
	assert.True(t, got["libssl3"].IsSecurityUpdate)
	// Held back by apt-get upgrade (new dependencies): still pending.
	assert.True(t, got["linux-generic"].NeedsUpdate)
	assert.False(t, got["linux-generic"].IsSecurityUpdate)
	// Ubuntu ESM security pocket.
	assert.True(t, got["tzdata"].IsSecurityUpdate)
	assert.Equal(t, "https://esm.ubuntu.com/infra/ubuntu jammy-infra-security/main", got["tzdata"].SourceRepository)
	// Pinned to an older version: not an update. Local .deb: no candidate.
	assert.False(t, got["pinned-tool"].NeedsUpdate)
	assert.False(t, got["local-tool"].NeedsUpdate)
	assert.Empty(t, got["local-tool"].SourceRepository)
	// A tab inside a summary stays in the summary.
	assert.Equal(t, "summary with\ta tab inside", got["python3-tab"].Description)
}

func TestPackagesErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := collecttest.NewRunner().SetOutput("dpkg --print-architecture", "amd64\n").SetOutput("dpkg-query -W", "")
	_, err := New(collect.Host{Runner: r}).Packages(ctx)
	require.ErrorContains(t, err, "no installed package")

	r = collecttest.NewRunner().SetOutput("dpkg --print-architecture", "amd64\n").
		SetOutput("dpkg-query -W", "ii \tbash\tamd64\t5.2\tshells\tshell\n").
		Set("apt-cache policy", collecttest.Result{Code: 100, Stderr: "E: cache is broken"})
	_, err = New(collect.Host{Runner: r}).Packages(ctx)
	require.Error(t, err)
	assert.Equal(t, 100, collect.ExitCode(err))
	assert.ErrorContains(t, err, "cache is broken")
}

func TestPolicyChunking(t *testing.T) {
	t.Parallel()
	var dq strings.Builder
	for i := range 6000 {
		dq.WriteString("ii \tsome-rather-long-package-name-number-" + strconv.Itoa(i) + "\tamd64\t1.0\tmisc\tx\n")
	}
	r := collecttest.NewRunner().SetOutput("dpkg --print-architecture", "amd64\n").
		SetOutput("dpkg-query -W", dq.String()).SetOutput("apt-cache policy", "")
	pkgs, err := New(collect.Host{Runner: r}).Packages(context.Background())
	require.NoError(t, err)
	assert.Len(t, pkgs, 6000)
	calls := 0
	total := 0
	for _, c := range r.Calls() {
		if strings.HasPrefix(c, "apt-cache policy ") {
			calls++
			total += len(strings.Fields(c)) - 2
			assert.LessOrEqual(t, len(c), policyArgBudget+len("apt-cache policy "))
		}
	}
	assert.Greater(t, calls, 1)
	assert.Equal(t, 6000, total)
}

func TestRepositories(t *testing.T) {
	t.Parallel()
	repos, err := New(collect.Host{Root: "testdata/jammy"}).Repositories(context.Background())
	require.NoError(t, err)
	want := []agentproto.Repository{
		{Name: "archive.ubuntu.com/ubuntu jammy", URL: "http://archive.ubuntu.com/ubuntu/", Distribution: "jammy", Components: "main restricted", RepoType: "deb", IsEnabled: true},
		{Name: "archive.ubuntu.com/ubuntu jammy-updates", URL: "http://archive.ubuntu.com/ubuntu/", Distribution: "jammy-updates", Components: "main restricted universe multiverse", RepoType: "deb", IsEnabled: true},
		{Name: "security.ubuntu.com/ubuntu jammy-security", URL: "http://security.ubuntu.com/ubuntu/", Distribution: "jammy-security", Components: "main restricted universe multiverse", RepoType: "deb", IsEnabled: true},
		{Name: "security.ubuntu.com/ubuntu jammy-security", URL: "http://security.ubuntu.com/ubuntu/", Distribution: "jammy-security", Components: "main", RepoType: "deb-src", IsEnabled: true},
		{Name: "packages.example.com/apt stable", URL: "https://packages.example.com/apt", Distribution: "stable", Components: "main", RepoType: "deb", IsEnabled: true, IsSecure: true},
		{Name: "file:/srv/local-repo .", URL: "file:/srv/local-repo", Distribution: "./", RepoType: "deb", IsEnabled: true},
		{Name: "download.docker.com/linux/ubuntu jammy", URL: "https://download.docker.com/linux/ubuntu", Distribution: "jammy", Components: "stable", RepoType: "deb", IsEnabled: true, IsSecure: true},
		{Name: "Vendor Tools", URL: "https://repo.vendor.example/apt", Distribution: "jammy", Components: "main contrib", RepoType: "deb", IsEnabled: true, IsSecure: true},
		{Name: "Vendor Tools", URL: "https://repo.vendor.example/apt", Distribution: "jammy-testing", Components: "main contrib", RepoType: "deb", IsEnabled: true, IsSecure: true},
		{Name: "Vendor Tools", URL: "https://repo.vendor.example/apt", Distribution: "jammy", Components: "main contrib", RepoType: "deb-src", IsEnabled: true, IsSecure: true},
		{Name: "Vendor Tools", URL: "https://repo.vendor.example/apt", Distribution: "jammy-testing", Components: "main contrib", RepoType: "deb-src", IsEnabled: true, IsSecure: true},
		{Name: "disabled.example.com/ubuntu jammy", URL: "http://disabled.example.com/ubuntu", Distribution: "jammy", Components: "main", RepoType: "deb", IsEnabled: false},
		{Name: "lowercase.example.com/ubuntu noble", URL: "http://lowercase.example.com/ubuntu", Distribution: "noble/", RepoType: "deb", IsEnabled: true},
	}
	assert.Equal(t, want, repos)
}

func TestRepositoriesBookworm(t *testing.T) {
	t.Parallel()
	repos, err := bookworm(t).Repositories(context.Background())
	require.NoError(t, err)
	// The real debian.sources; the *.disabled-by-farm file is ignored.
	require.Len(t, repos, 3)
	assert.Equal(t, "bookworm", repos[0].Distribution)
	assert.Equal(t, "bookworm-updates", repos[1].Distribution)
	assert.Equal(t, "http://deb.debian.org/debian-security", repos[2].URL)
	for _, r := range repos {
		assert.True(t, r.IsEnabled)
		assert.Equal(t, "main", r.Components)
	}
}

func TestCacheAgeAndRefresh(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := collecttest.NewRunner().SetOutput("apt-get update", "")
	m := New(collect.Host{Root: root, Runner: r})
	_, ok := m.CacheAge(context.Background())
	assert.False(t, ok, "no lists: unknown age")

	require.NoError(t, os.MkdirAll(filepath.Join(root, "var/lib/apt/lists"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease"), nil, 0o644))
	age, ok := m.CacheAge(context.Background())
	assert.True(t, ok)
	assert.Less(t, age.Hours(), 1.0)

	require.NoError(t, m.RefreshCache(context.Background()))
	assert.Equal(t, []string{"apt-get update -q"}, r.Calls())
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(b)
}

// golden compares v, as indented JSON, with the golden file; -update
// rewrites it.
func golden(t *testing.T, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	got = append(got, '\n')
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs; run go test -update and review the diff", path)
	}
}
