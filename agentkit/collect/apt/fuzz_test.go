package apt

import (
	"os"
	"testing"

	"github.com/patchmon-go/patchmon/agentkit/collect"
)

func addFile(f *testing.F, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
}

func FuzzParseDpkgQuery(f *testing.F) {
	addFile(f, "testdata/jammy-dpkg-query.txt")
	f.Add("ii \tx\tamd64\t1\t\t\n")
	f.Fuzz(func(t *testing.T, in string) {
		for _, p := range parseDpkgQuery([]byte(in), "amd64") {
			if p.Name == "" || p.Version == "" {
				t.Fatalf("empty name or version: %+v", p)
			}
		}
	})
}

func FuzzParsePolicy(f *testing.F) {
	addFile(f, "testdata/jammy-apt-cache-policy.txt")
	f.Add("a:\n  Installed: 1\n  Candidate: 2\n     2 500 (phased 5%)\n        500 http://x y/z a Packages\n")
	f.Fuzz(func(t *testing.T, in string) {
		for _, pol := range parsePolicy([]byte(in)) {
			for _, v := range pol.Versions {
				if v.Phased < -1 || v.Phased > 100 {
					t.Fatalf("phased out of range: %d", v.Phased)
				}
			}
			if pol.Installed != "" {
				// Must not panic whatever the table holds.
				v := updateVersion(pol, pol.Installed)
				if v != nil && collect.CompareDebian(v.Version, pol.Installed) <= 0 {
					t.Fatalf("update %q is not newer than %q", v.Version, pol.Installed)
				}
				if v != nil {
					origin(v)
				}
			}
		}
	})
}

func FuzzParseSources(f *testing.F) {
	addFile(f, "testdata/jammy/etc/apt/sources.list")
	addFile(f, "testdata/jammy/etc/apt/sources.list.d/vendor.sources")
	f.Fuzz(func(t *testing.T, in string) {
		for _, r := range append(parseOneLineSources(in), parseDeb822Sources(in)...) {
			if r.URL == "" || r.Distribution == "" || (r.RepoType != "deb" && r.RepoType != "deb-src") {
				t.Fatalf("incomplete repository: %+v", r)
			}
		}
	})
}
