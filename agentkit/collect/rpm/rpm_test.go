package rpm

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseNEVRA(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]NEVRA{
		"kernel-5.14.0-427.13.1.el9_4.x86_64":                 {"kernel", "5.14.0-427.13.1.el9_4", "x86_64"},
		"openssl-1:1.0.2k-19.el7.x86_64":                      {"openssl", "1:1.0.2k-19.el7", "x86_64"},
		"java-17-openjdk-headless-1:17.0.11.0.9-2.el9.x86_64": {"java-17-openjdk-headless", "1:17.0.11.0.9-2.el9", "x86_64"},
		"python3.11-3.11.7-1.el9.noarch":                      {"python3.11", "3.11.7-1.el9", "noarch"},
		"glibc-2.34-100.el9_4.4.i686":                         {"glibc", "2.34-100.el9_4.4", "i686"},
	} {
		got, ok := ParseNEVRA(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "Moderate/Sec.", "RHSA-2024:1234", "kernel.x86_64", "a-1.x86_64", "-1-2.x86_64"} {
		_, ok := ParseNEVRA(bad)
		assert.False(t, ok, bad)
	}
}

func TestExpand(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"releasever": "9", "basearch": "x86_64", "empty": ""}
	assert.Equal(t, "https://x/9/x86_64/os/", Expand("https://x/$releasever/${basearch}/os/", vars))
	assert.Equal(t, "a$unknown-b${unclosed", Expand("a$unknown-b${unclosed", vars))
	assert.Equal(t, "ab", Expand("a${empty}b", vars))
	assert.Equal(t, "$", Expand("$", vars))
}

func TestNewestAndEVR(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 1, CompareEVR("1:1.0-1", "2.0-1"))
	assert.Equal(t, 0, CompareEVR("0:1.0-1", "1.0-1"))
	assert.Equal(t, -1, CompareEVR("5.14.0-362.24.1.el9_3", "5.14.0-427.13.1.el9_4"))
	got := Newest([]Installed{
		{Name: "kernel", Arch: "x86_64", Version: "5.14.0-427.13.1.el9_4"},
		{Name: "bash", Arch: "x86_64", Version: "5.1.8-6.el9_1"},
		{Name: "kernel", Arch: "x86_64", Version: "5.14.0-362.24.1.el9_3"},
		{Name: "kernel", Arch: "x86_64", Version: "5.14.0-503.el9"},
	})
	assert.Equal(t, []Installed{
		{Name: "kernel", Arch: "x86_64", Version: "5.14.0-503.el9"},
		{Name: "bash", Arch: "x86_64", Version: "5.1.8-6.el9_1"},
	}, got)
}

func FuzzParseRPM(f *testing.F) {
	f.Add("[base]\nname=Base $releasever\nbaseurl=http://x/$basearch/\n  http://y/\nenabled=0\n")
	f.Add("bash\t(none)\t5.1.8\t6.el9_1\tx86_64\tUnspecified\tThe GNU Bourne Again shell\n")
	f.Fuzz(func(t *testing.T, in string) {
		for _, r := range Repositories(ParseRepoFile(in), map[string]string{"releasever": "9"}) {
			if r.URL == "" || r.Distribution == "" {
				t.Fatalf("incomplete %+v", r)
			}
		}
		for _, p := range ParseInstalled([]byte(in)) {
			if p.Name == "" || p.Version == "" {
				t.Fatalf("incomplete %+v", p)
			}
		}
		if n, ok := ParseNEVRA(in); ok && (n.Name == "" || n.Version == "" || n.Arch == "") {
			t.Fatalf("incomplete %+v", n)
		}
		Expand(in, map[string]string{"a": "b"})
	})
}
