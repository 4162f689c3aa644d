package pkgng

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/agentkit/collect/collecttest"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

func freebsd(t *testing.T) *Manager {
	r := collecttest.NewRunner().
		SetFile(t, "pkg query -a", "testdata/pkg-query.txt").
		SetFile(t, "pkg version -vRL=", "testdata/pkg-version.txt").
		Set("pkg audit -q", collecttest.Result{Stdout: string(must(os.ReadFile("testdata/pkg-audit.txt"))), Code: 1}).
		SetFile(t, "pkg -vv", "testdata/pkg-vv.txt")
	return New(collect.Host{Runner: r})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestPackages(t *testing.T) {
	t.Parallel()
	pkgs, err := freebsd(t).Packages(context.Background())
	require.NoError(t, err)
	got := map[string]agentproto.Package{}
	for _, p := range pkgs {
		got[p.Name] = p
	}
	assert.Len(t, pkgs, 6)
	assert.Equal(t, agentproto.Package{
		Name: "curl", Description: "Command line tool and library for transferring data with URLs", Category: "ftp",
		CurrentVersion: "8.5.0", AvailableVersion: "8.6.0", NeedsUpdate: true, IsSecurityUpdate: true,
	}, got["curl"])
	assert.True(t, got["py39-setuptools"].IsSecurityUpdate)
	assert.Equal(t, "63.1.0_2", got["py39-setuptools"].AvailableVersion)
	assert.False(t, got["sudo"].NeedsUpdate, "vulnerable but no update: nothing to install")
	assert.False(t, got["sudo"].IsSecurityUpdate)
	assert.True(t, got["pkg"].NeedsUpdate)
	assert.False(t, got["pkg"].IsSecurityUpdate)
	assert.Equal(t, "9.1.0000,1", got["vim"].AvailableVersion)
	assert.False(t, got["perl5.36"].NeedsUpdate)
}

func TestRepositories(t *testing.T) {
	t.Parallel()
	repos, err := freebsd(t).Repositories(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []agentproto.Repository{
		{Name: "FreeBSD", URL: "pkg+http://pkg.FreeBSD.org/FreeBSD:14:amd64/quarterly", Distribution: "FreeBSD", RepoType: "pkg", IsEnabled: true},
		{Name: "poudriere", URL: "https://pkg.example.org/packages/14amd64-default", Distribution: "poudriere", RepoType: "pkg", IsEnabled: false, IsSecure: true},
	}, repos)
}

func FuzzParsePkg(f *testing.F) {
	for _, p := range []string{"testdata/pkg-query.txt", "testdata/pkg-version.txt", "testdata/pkg-audit.txt", "testdata/pkg-vv.txt"} {
		f.Add(string(must(os.ReadFile(p))))
	}
	f.Fuzz(func(t *testing.T, in string) {
		byNV := map[string]string{}
		for _, p := range parseQuery([]byte(in)) {
			byNV[p.Name+"-"+p.Version] = p.Name
		}
		for n := range parseVersion([]byte(in), byNV) {
			if n == "" {
				t.Fatal("empty name")
			}
		}
		parseAudit([]byte(in), byNV)
		for _, r := range parseRepos([]byte(in)) {
			if r.URL == "" {
				t.Fatal("repository without URL")
			}
		}
	})
}
