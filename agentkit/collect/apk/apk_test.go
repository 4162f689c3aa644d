package apk

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/agentkit/collect/collecttest"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

func fakeSecDB(t *testing.T, fetches *atomic.Int32) func(context.Context, string) ([]byte, error) {
	return func(_ context.Context, u string) ([]byte, error) {
		fetches.Add(1)
		switch u {
		case "https://secdb.alpinelinux.org/v3.20/main.json":
			return os.ReadFile("testdata/secdb-main.json")
		case "https://secdb.alpinelinux.org/v3.20/community.json":
			return os.ReadFile("testdata/secdb-community.json")
		}
		t.Errorf("unexpected fetch %s", u)
		return nil, errors.New("not found")
	}
}

func alpine(t *testing.T, fetch func(context.Context, string) ([]byte, error)) *Manager {
	r := collecttest.NewRunner().SetFile(t, "apk version -l <", "testdata/apk-version.txt")
	return New(collect.Host{Root: "testdata/alpine320", Runner: r}, Options{Fetch: fetch})
}

func TestPackages(t *testing.T) {
	t.Parallel()
	var fetches atomic.Int32
	m := alpine(t, fakeSecDB(t, &fetches))
	pkgs, err := m.Packages(context.Background())
	require.NoError(t, err)
	got := map[string]agentproto.Package{}
	for _, p := range pkgs {
		got[p.Name] = p
	}
	assert.Len(t, pkgs, 7)
	// Names with digits and dashes are not split into the version.
	assert.Equal(t, agentproto.Package{
		Name: "font-adobe-100dpi", Description: "X.org adobe 100dpi font", CurrentVersion: "1.0.3-r3",
		AvailableVersion: "1.0.3-r4", NeedsUpdate: true,
	}, got["font-adobe-100dpi"])
	assert.Equal(t, "3.24.43-r0", got["gtk+3.0"].AvailableVersion)
	// The gtk fix predates the installed version: not a security update.
	assert.False(t, got["gtk+3.0"].IsSecurityUpdate)
	// busybox: 1.36.1-r29 fixes a CVE and is what the update installs.
	assert.True(t, got["busybox"].IsSecurityUpdate)
	// Matched through the origin: libcrypto3 and libssl3 come from openssl.
	assert.True(t, got["libcrypto3"].IsSecurityUpdate)
	assert.True(t, got["libssl3"].IsSecurityUpdate)
	assert.False(t, got["musl"].NeedsUpdate)

	// The database is downloaded once per branch and reused.
	_, err = m.Packages(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 2, fetches.Load())
}

func TestPackagesWithoutSecDB(t *testing.T) {
	t.Parallel()
	m := alpine(t, func(context.Context, string) ([]byte, error) { return nil, errors.New("offline") })
	pkgs, err := m.Packages(context.Background())
	require.NoError(t, err)
	for _, p := range pkgs {
		assert.False(t, p.IsSecurityUpdate, p.Name)
	}
}

func TestSplitNameVersion(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]string{
		"font-adobe-100dpi-1.0.3-r3": {"font-adobe-100dpi", "1.0.3-r3"},
		"gtk+3.0-3.24.41-r0":         {"gtk+3.0", "3.24.41-r0"},
		"py3-six-1.16.0-r9":          {"py3-six", "1.16.0-r9"},
		"7zip-23.01-r0":              {"7zip", "23.01-r0"},
		"busybox-1.36.1-r15":         {"busybox", "1.36.1-r15"},
	} {
		n, v, ok := splitNameVersion(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, [2]string{n, v}, in)
	}
	_, _, ok := splitNameVersion("nonsense")
	assert.False(t, ok)
}

func TestRepositories(t *testing.T) {
	t.Parallel()
	repos, err := alpine(t, nil).Repositories(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []agentproto.Repository{
		{Name: "dl-cdn.alpinelinux.org/alpine/v3.20/main", URL: "https://dl-cdn.alpinelinux.org/alpine/v3.20/main", Distribution: "v3.20", Components: "main", RepoType: "apk", IsEnabled: true, IsSecure: true},
		{Name: "dl-cdn.alpinelinux.org/alpine/v3.20/community", URL: "https://dl-cdn.alpinelinux.org/alpine/v3.20/community", Distribution: "v3.20", Components: "community", RepoType: "apk", IsEnabled: false, IsSecure: true},
		{Name: "@edge dl-cdn.alpinelinux.org/alpine/edge/testing", URL: "https://dl-cdn.alpinelinux.org/alpine/edge/testing", Distribution: "edge", Components: "testing", RepoType: "apk", IsEnabled: true, IsSecure: true},
		{Name: "/home/builder/packages/main", URL: "/home/builder/packages/main", Distribution: "packages", Components: "main", RepoType: "apk", IsEnabled: true},
	}, repos)
}

func FuzzParseAPK(f *testing.F) {
	for _, p := range []string{"testdata/alpine320/lib/apk/db/installed", "testdata/apk-version.txt", "testdata/alpine320/etc/apk/repositories", "testdata/secdb-main.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, in string) {
		inst := parseInstalledDB(in)
		byNV := map[string]string{}
		for _, p := range inst {
			if p.Name == "" || p.Version == "" {
				t.Fatalf("incomplete %+v", p)
			}
			byNV[p.Name+"-"+p.Version] = p.Name
		}
		for n, v := range parseVersionList([]byte(in), byNV) {
			if n == "" || v == "" {
				t.Fatalf("empty update %q %q", n, v)
			}
		}
		if n, v, ok := splitNameVersion(in); ok && (n == "" || v == "") {
			t.Fatalf("bad split of %q", in)
		}
		for _, r := range parseRepositories(in) {
			if r.URL == "" {
				t.Fatal("empty URL")
			}
		}
		_ = parseSecDB([]byte(in), map[string][]string{})
	})
}
