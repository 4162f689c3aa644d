package zypper

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/agentkit/collect/collecttest"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

func leap(t *testing.T) (*Manager, *collecttest.Runner) {
	t.Helper()
	r := collecttest.NewRunner().
		SetFile(t, "rpm -qa", "testdata/rpm-qa.txt").
		SetOutput("uname -m", "x86_64\n").
		SetFile(t, "zypper --non-interactive --quiet --xmlout list-updates", "testdata/list-updates.xml").
		Set("zypper --non-interactive --quiet --xmlout list-patches", collecttest.Result{Stdout: read(t, "testdata/list-patches-security.xml"), Code: 100}).
		SetFile(t, "zypper --non-interactive --quiet info -t patch", "testdata/info-patches.txt")
	return New(collect.Host{Root: "testdata/leap156", Runner: r}), r
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(b)
}

func TestPackages(t *testing.T) {
	t.Parallel()
	m, r := leap(t)
	pkgs, err := m.Packages(context.Background())
	require.NoError(t, err)
	got := map[string]agentproto.Package{}
	for _, p := range pkgs {
		got[p.Name] = p
	}
	assert.Len(t, pkgs, 7)
	assert.Equal(t, agentproto.Package{
		Name: "curl", Description: "A Tool for Transferring Data from URLs", Category: "Productivity/Networking/Web/Utilities",
		CurrentVersion: "8.6.0-150600.4.3.1", AvailableVersion: "8.6.0-150600.4.6.1", NeedsUpdate: true,
		IsSecurityUpdate: true, SourceRepository: "repo-sle-update",
	}, got["curl"])
	assert.True(t, got["libcurl4"].IsSecurityUpdate)
	assert.False(t, got["libcurl4-32bit"].NeedsUpdate, "no update listed for it")
	assert.True(t, got["kernel-default"].IsSecurityUpdate)
	assert.Equal(t, "6.4.0-150600.23.7.3", got["kernel-default"].CurrentVersion)
	assert.True(t, got["glibc"].NeedsUpdate)
	assert.False(t, got["glibc"].IsSecurityUpdate)
	assert.False(t, got["timezone"].IsSecurityUpdate)
	assert.False(t, got["zypper"].NeedsUpdate)

	var info string
	for _, c := range r.Calls() {
		if strings.Contains(c, " info ") {
			info = c
		}
	}
	assert.Equal(t, "zypper --non-interactive --quiet info -t patch SUSE-SLE-Module-Basesystem-15-SP6-2024-2185 SUSE-SLE-Module-Basesystem-15-SP6-2024-2201", info)
}

func TestPackagesBadXML(t *testing.T) {
	t.Parallel()
	r := collecttest.NewRunner().SetFile(t, "rpm -qa", "testdata/rpm-qa.txt").SetOutput("uname -m", "x86_64").
		SetOutput("zypper --non-interactive --quiet --xmlout list-updates", "<stream><update-status")
	_, err := New(collect.Host{Runner: r}).Packages(context.Background())
	assert.ErrorContains(t, err, "unreadable XML")
}

func TestRepositories(t *testing.T) {
	t.Parallel()
	m, _ := leap(t)
	repos, err := m.Repositories(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []agentproto.Repository{
		{Name: "Main Repository", URL: "http://download.opensuse.org/distribution/leap/15.6/repo/oss/", Distribution: "repo-oss", RepoType: "rpm-md", IsEnabled: true},
		{Name: "Update repository with updates from SUSE Linux Enterprise 15", URL: "http://download.opensuse.org/update/leap/15.6/sle/", Distribution: "repo-sle-update", RepoType: "rpm-md", IsEnabled: true},
		{Name: "Source Repository", URL: "https://download.opensuse.org/source/distribution/leap/15.6/repo/oss/", Distribution: "repo-source", RepoType: "NONE", IsEnabled: false, IsSecure: true},
	}, repos)
}

func FuzzParseZypper(f *testing.F) {
	for _, p := range []string{"testdata/list-updates.xml", "testdata/list-patches-security.xml", "testdata/info-patches.txt"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, in string) {
		ups, _ := parseUpdates([]byte(in))
		for _, u := range ups {
			if u.Name == "" || u.Edition == "" {
				t.Fatalf("incomplete update %+v", u)
			}
		}
		for k := range parsePatchConflicts([]byte(in), "x86_64") {
			if k == "" {
				t.Fatal("empty package name")
			}
		}
	})
}
