package dnf

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/agentkit/collect/collecttest"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

func rocky(t *testing.T) (*Manager, *collecttest.Runner) {
	t.Helper()
	r := collecttest.NewRunner().
		SetFile(t, "rpm -qa", "testdata/rpm-qa.txt").
		SetOutput("uname -m", "x86_64\n").
		Set("dnf -q check-update", collecttest.Result{Stdout: mustRead(t, "testdata/check-update.txt"), Code: 100}).
		SetFile(t, "dnf -q updateinfo list --security", "testdata/updateinfo-security.txt")
	return New(collect.Host{Root: "testdata/rocky9", Runner: r}, "dnf"), r
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	r := collecttest.NewRunner().SetFile(t, "x", p)
	b, err := r.Run(context.Background(), "x")
	require.NoError(t, err)
	return string(b)
}

func TestPackages(t *testing.T) {
	t.Parallel()
	m, _ := rocky(t)
	assert.Equal(t, "dnf", m.Name())
	pkgs, err := m.Packages(context.Background())
	require.NoError(t, err)
	got := map[string]agentproto.Package{}
	for _, p := range pkgs {
		_, dup := got[p.Name]
		require.False(t, dup, "duplicate %s", p.Name)
		got[p.Name] = p
	}
	// gpg-pubkey is not a package; the two installed kernels are one row at
	// the newest version.
	assert.NotContains(t, got, "gpg-pubkey")
	assert.Len(t, pkgs, 13)
	assert.Equal(t, agentproto.Package{
		Name: "kernel", Description: "The Linux kernel, based on version 5.14.0, heavily modified with backports",
		CurrentVersion: "5.14.0-427.13.1.el9_4", AvailableVersion: "5.14.0-427.16.1.el9_4",
		NeedsUpdate: true, IsSecurityUpdate: true, SourceRepository: "baseos",
	}, got["kernel"])
	assert.Equal(t, "5.14.0-427.13.1.el9_4", got["kernel-core"].CurrentVersion)

	// Matched by full name: the java-17 advisory does not flag java-11.
	assert.True(t, got["java-17-openjdk-headless"].IsSecurityUpdate)
	assert.True(t, got["java-11-openjdk-headless"].NeedsUpdate)
	assert.False(t, got["java-11-openjdk-headless"].IsSecurityUpdate)
	assert.Equal(t, "1:17.0.10.0.7-2.el9", got["java-17-openjdk-headless"].CurrentVersion)

	// Multi-arch: the i686 copy is its own row with its own update.
	assert.True(t, got["glibc"].IsSecurityUpdate)
	assert.True(t, got["glibc.i686"].IsSecurityUpdate)
	assert.Equal(t, "2.34-100.el9_4.4", got["glibc.i686"].AvailableVersion)

	// Epochs, wrapped rows, noarch, non-security updates.
	assert.Equal(t, "1:3.0.7-27.el9", got["openssl"].AvailableVersion)
	assert.True(t, got["openssl"].IsSecurityUpdate)
	assert.Equal(t, "1:1.46.0-8.el9_4", got["NetworkManager-cloud-setup"].AvailableVersion)
	assert.Equal(t, "appstream", got["NetworkManager-cloud-setup"].SourceRepository)
	assert.True(t, got["tzdata"].NeedsUpdate)
	assert.False(t, got["python3-libs"].IsSecurityUpdate)
	// Only listed under "Obsoleting Packages": not parsed as an update row.
	assert.False(t, got["grub2-tools"].NeedsUpdate)
	assert.False(t, got["bash"].NeedsUpdate)
	assert.Equal(t, "2:8.2.2637-20.el9_1", got["vim-minimal"].CurrentVersion)
}

func TestPackagesNoUpdates(t *testing.T) {
	t.Parallel()
	r := collecttest.NewRunner().SetFile(t, "rpm -qa", "testdata/rpm-qa.txt").SetOutput("uname -m", "x86_64").
		SetOutput("yum -q check-update", "")
	pkgs, err := New(collect.Host{Runner: r}, "yum").Packages(context.Background())
	require.NoError(t, err)
	for _, p := range pkgs {
		assert.False(t, p.NeedsUpdate)
	}
	for _, c := range r.Calls() {
		assert.NotContains(t, c, "updateinfo", "no updates: no advisory query")
	}

	r.Set("yum -q check-update", collecttest.Result{Code: 1, Stderr: "Error: Failed to download metadata for repo"})
	_, err = New(collect.Host{Runner: r}, "yum").Packages(context.Background())
	assert.ErrorContains(t, err, "Failed to download metadata")
}

func TestUpdateinfoDNF5(t *testing.T) {
	t.Parallel()
	sec := parseUpdateinfo([]byte(mustRead(t, "testdata/dnf5-advisory-list.txt")), "x86_64")
	assert.Equal(t, map[string]bool{"curl": true, "java-17-openjdk-headless": true}, sec)
}

func TestRepositories(t *testing.T) {
	t.Parallel()
	m, _ := rocky(t)
	repos, err := m.Repositories(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []agentproto.Repository{
		{Name: "Extra Packages for Enterprise Linux 9 - x86_64", URL: "https://mirrors.fedoraproject.org/metalink?repo=epel-9&arch=x86_64&infra=$infra&content=pub", Distribution: "epel", RepoType: "rpm", IsEnabled: true, IsSecure: true},
		{Name: "Local mirror", URL: "https://mirror1.example.com/el9/", Distribution: "local-mirror", RepoType: "rpm", IsEnabled: true, IsSecure: true},
		{Name: "Rocky Linux 9 - BaseOS", URL: "https://mirrors.rockylinux.org/mirrorlist?arch=x86_64&repo=BaseOS-9", Distribution: "baseos", RepoType: "rpm", IsEnabled: true, IsSecure: true},
		{Name: "Rocky Linux 9 - AppStream", URL: "https://mirrors.rockylinux.org/mirrorlist?arch=x86_64&repo=AppStream-9", Distribution: "appstream", RepoType: "rpm", IsEnabled: true, IsSecure: true},
		{Name: "Rocky Linux 9 - CRB", URL: "http://dl.rockylinux.org/pub/9/CRB/x86_64/os/", Distribution: "crb", RepoType: "rpm", IsEnabled: false},
	}, repos)
}

func TestDetect(t *testing.T) {
	t.Parallel()
	tool, ok := Detect(collect.Host{Root: t.TempDir()})
	assert.False(t, ok)
	assert.Empty(t, tool)
}

func FuzzParseCheckUpdate(f *testing.F) {
	f.Add("kernel.x86_64 5.14.0-427.16.1.el9_4 baseos\nlong-name.x86_64\n 1:1.0-1 appstream\nObsoleting Packages\n")
	f.Fuzz(func(t *testing.T, in string) {
		for k, u := range parseCheckUpdate([]byte(in), "x86_64") {
			if k == "" || u.version == "" {
				t.Fatalf("empty key or version: %q %+v", k, u)
			}
		}
		parseUpdateinfo([]byte(in), "x86_64")
	})
}
