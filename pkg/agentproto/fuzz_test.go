package agentproto

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// packagesFromFuzz turns arbitrary text into a package list: one package per
// line, tab-separated name, description, version, comma-separated WUA
// categories and a flags field.
func packagesFromFuzz(data string) []Package {
	var out []Package
	for line := range strings.SplitSeq(data, "\n") {
		f := strings.Split(line, "\t")
		for len(f) < 5 {
			f = append(f, "")
		}
		p := Package{Name: f[0], Description: f[1], CurrentVersion: f[2], AvailableVersion: f[2] + "~1"}
		if f[3] != "" {
			p.WUACategories = strings.Split(f[3], ",")
		}
		p.NeedsUpdate = strings.Contains(f[4], "u")
		p.IsSecurityUpdate = strings.Contains(f[4], "s")
		out = append(out, p)
	}
	return out
}

// distinctByName keeps the first package of each canonical name, so that the
// result's hash cannot depend on input order.
func distinctByName(in []Package) []Package {
	seen := map[string]bool{}
	var out []Package
	for _, p := range in {
		if n := canon(p.Name); !seen[n] {
			seen[n] = true
			out = append(out, p)
		}
	}
	return out
}

func FuzzPackagesHash(f *testing.F) {
	f.Add("bash\tGNU Bourne Again SHell\t5.2.15-2+b2\t\tus\nzlib1g\tcompression\t1:1.2.13\t\t")
	f.Add("  café-tools \t tab\tinside \t 1.0-1 \t\t")
	f.Add("cafe\u0301\td\t1\t\t\ncafé\td2\t1\t\t")
	f.Add("lib<x>&y\ta > b\t1\t\t\nlib<x>&y\tagain\t2\t\t")
	f.Add("KB1\tupdate\tpending\tSecurity Updates, Critical,Updates\tu")
	f.Add("bad\xff\xfe\tnul\x00desc\t\xe2\x82\t\xc0\xaf,\x00\t")
	f.Add("\u2028\t\u00a0x\u00a0\t\U0001F600\t\u0301\t")
	f.Fuzz(func(t *testing.T, data string) {
		in := packagesFromFuzz(data)
		orig := clonePackages(in)

		h := PackagesHash(in)
		if !hexHash.MatchString(h) {
			t.Fatalf("hash %q is not lower-case hex", h)
		}
		if again := PackagesHash(in); again != h {
			t.Fatalf("not deterministic: %s then %s", h, again)
		}
		if !reflect.DeepEqual(in, orig) {
			t.Fatal("PackagesHash modified its input")
		}

		// Repeating the list changes nothing: each name keeps its last row.
		if got := PackagesHash(append(clonePackages(in), in...)); got != h {
			t.Fatalf("doubled list hashes to %s, want %s", got, h)
		}

		// For valid UTF-8 (NUL bytes included) what the server decodes from
		// the agent's JSON hashes the same as what the agent hashed. Invalid
		// UTF-8 cannot survive the trip (see TestHashOfInvalidUTF8), which
		// is why an agent must Clean before it hashes.
		valid := clonePackages(in)
		mapStrings(reflect.ValueOf(valid), func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") })
		validHash := PackagesHash(valid)
		wire, err := json.Marshal(valid)
		if err != nil {
			t.Fatal(err)
		}
		var decoded []Package
		if err := json.Unmarshal(wire, &decoded); err != nil {
			t.Fatal(err)
		}
		if got := PackagesHash(decoded); got != validHash {
			t.Fatalf("hash after a JSON round trip = %s, want %s", got, validHash)
		}

		// With distinct names the input order does not matter.
		distinct := distinctByName(in)
		want := PackagesHash(distinct)
		reversed := slices.Clone(distinct)
		slices.Reverse(reversed)
		if got := PackagesHash(reversed); got != want {
			t.Fatalf("reversed order hashes to %s, want %s", got, want)
		}
		if len(distinct) > 2 {
			rotated := append(slices.Clone(distinct[1:]), distinct[0])
			if got := PackagesHash(rotated); got != want {
				t.Fatalf("rotated order hashes to %s, want %s", got, want)
			}
		}
	})
}

func FuzzReportDecode(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "report_*.golden"))
	for _, path := range seeds {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"packages":[],"sections":["packages"]}`))
	f.Add([]byte(`{"packages":[{"name":""}],"sections":["docker"]}`))
	f.Add([]byte(`{"packages":[{"name":"a\u0000b","description":"\ud800 lone","wuaCategories":["b","a",null]}],"hashes":null}`))
	f.Add([]byte(`{"packages":[{"name":"x"},{"name":"x","needsUpdate":true}],"networkInterfaces":[{"name":"e","addresses":null}],"repositories":[{"url":"a|b"},{"url":"a","distribution":"b"}]}`))
	f.Add([]byte(`{"packages":{"name":"x"},"cpuCores":"4"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Report
		if err := json.Unmarshal(data, &r); err != nil {
			return
		}
		// Hash before Sanitize, as a server must (see Report.Sanitize).
		hashes := func(r *Report) [4]string {
			return [4]string{PackagesHash(r.Packages), ReposHash(r.Repositories), InterfacesHash(r.NetworkInterfaces), HostnameHash(r.Hostname)}
		}
		before := hashes(&r)
		if again := hashes(&r); again != before {
			t.Fatalf("hashes not deterministic: %v then %v", before, again)
		}

		distinct := distinctByName(r.Packages)
		reversed := slices.Clone(distinct)
		slices.Reverse(reversed)
		if PackagesHash(reversed) != PackagesHash(distinct) {
			t.Fatal("packages hash depends on the order of distinct names")
		}

		r.Sanitize()
		walkStrings(reflect.ValueOf(&r).Elem(), "Report", func(path, s string) {
			if !isCleanString(s) {
				t.Fatalf("%s = %q after Sanitize", path, s)
			}
		})
		sanitized, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		r.Sanitize()
		if again, _ := json.Marshal(&r); string(again) != string(sanitized) {
			t.Fatal("Sanitize is not idempotent")
		}

		if err := r.Validate(); err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate returned %T, want *ValidationError", err)
			}
			known := false
			for _, s := range []error{ErrNoPackages, ErrTooManyPackages, ErrUnknownSection, ErrPackageName} {
				known = known || errors.Is(err, s)
			}
			if !known || ve.Field == "" || err.Error() == "" {
				t.Fatalf("Validate returned an unexpected error %q", err)
			}
		}
		_ = r.IsPartial()
		for _, s := range AllSections() {
			_ = r.Has(s)
		}
	})
}
