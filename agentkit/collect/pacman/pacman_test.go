package pacman

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/agentkit/collect/collecttest"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

func tracker(context.Context, string) ([]byte, error) {
	return os.ReadFile("testdata/tracker-all.json")
}

func TestPackagesCheckupdates(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	require.NoError(t, os.CopyFS(root, os.DirFS("testdata/arch")))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "usr/bin/checkupdates"), []byte("#!/bin/sh\n"), 0o755))
	r := collecttest.NewRunner().SetFile(t, "checkupdates", "testdata/checkupdates.txt")
	pkgs, err := New(collect.Host{Root: root, Runner: r}, Options{Fetch: tracker}).Packages(context.Background())
	require.NoError(t, err)
	got := map[string]agentproto.Package{}
	for _, p := range pkgs {
		got[p.Name] = p
	}
	assert.Len(t, pkgs, 5)
	assert.Equal(t, agentproto.Package{
		Name: "curl", Description: "command line tool and library for transferring data with URLs",
		CurrentVersion: "8.8.0-1", AvailableVersion: "8.9.1-1", NeedsUpdate: true, IsSecurityUpdate: true,
	}, got["curl"])
	assert.True(t, got["lib32-curl"].IsSecurityUpdate)
	assert.True(t, got["linux"].NeedsUpdate)
	assert.False(t, got["linux"].IsSecurityUpdate, "the fix is older than what is installed")
	assert.False(t, got["python"].IsSecurityUpdate, "no fixed version yet")
	assert.Equal(t, "base-devel", got["pacman"].Category)
	assert.False(t, got["pacman"].NeedsUpdate)
}

func TestPackagesPacmanQu(t *testing.T) {
	t.Parallel()
	// Without checkupdates: pacman -Qu, whose exit status 1 with no output
	// means "nothing to update".
	r := collecttest.NewRunner().Set("pacman -Qu", collecttest.Result{Code: 1})
	pkgs, err := New(collect.Host{Root: "testdata/arch", Runner: r}, Options{Fetch: func(context.Context, string) ([]byte, error) {
		return nil, errors.New("must not be fetched without updates")
	}}).Packages(context.Background())
	require.NoError(t, err)
	assert.Len(t, pkgs, 5)
	for _, p := range pkgs {
		assert.False(t, p.NeedsUpdate)
	}
}

func TestRepositories(t *testing.T) {
	t.Parallel()
	r := collecttest.NewRunner().SetOutput("uname -m", "x86_64\n")
	repos, err := New(collect.Host{Root: "testdata/arch", Runner: r}, Options{}).Repositories(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []agentproto.Repository{
		{Name: "core", URL: "https://mirror.rackspace.com/archlinux/core/os/x86_64", Distribution: "core", RepoType: "pacman", IsEnabled: true, IsSecure: true},
		{Name: "extra", URL: "https://mirror.rackspace.com/archlinux/extra/os/x86_64", Distribution: "extra", RepoType: "pacman", IsEnabled: true, IsSecure: true},
		{Name: "multilib", URL: "https://mirror.rackspace.com/archlinux/multilib/os/x86_64", Distribution: "multilib", RepoType: "pacman", IsEnabled: true, IsSecure: true},
		{Name: "custom", URL: "file:///home/custompkgs", Distribution: "custom", RepoType: "pacman", IsEnabled: true},
	}, repos)
}

func FuzzParsePacman(f *testing.F) {
	for _, p := range []string{"testdata/arch/var/lib/pacman/local/linux-6.9.7.arch1-1/desc", "testdata/checkupdates.txt", "testdata/arch/etc/pacman.conf", "testdata/tracker-all.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, in string) {
		parseDesc(in)
		for n, v := range parseUpdates([]byte(in)) {
			if n == "" || v == "" {
				t.Fatal("empty update")
			}
		}
		parseConf(in, func(string) string { return in })
		_, _ = parseTracker([]byte(in))
	})
}
