package agentproto

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain ascii", "plain ascii"},
		{"café ☕ 𝄞", "café ☕ 𝄞"},
		{"nul\x00inside\x00", "nulinside"},
		{"\x00\x00", ""},
		{"bad \xff byte", "bad \uFFFD byte"},
		{"two bad \xc3\x28", "two bad \uFFFD("},
		{"run \xe2\x82", "run \uFFFD\uFFFD"}, // per byte, as encoding/json does
		{"surrogate \xed\xa0\x80", "surrogate \uFFFD\uFFFD\uFFFD"},
		{"mixed \xe2\x00\x82\xac", "mixed \uFFFD\uFFFD\uFFFD"}, // dropping NUL never joins a rune
		{"ok \uFFFD stays", "ok \uFFFD stays"},
	}
	for _, tt := range tests {
		got := Clean(tt.in)
		if got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again := Clean(got); again != got {
			t.Errorf("Clean not idempotent on %q: %q", got, again)
		}
	}
}

func TestCleanMatchesJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"a\xffb", "\xe2\x82", "\xed\xa0\x80x", "ok", "\xc0\xaf", "tab\t\u2028<&>"} {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if got := Clean(s); got != back {
			t.Errorf("Clean(%q) = %q, JSON round trip gives %q", s, got, back)
		}
	}
}

func TestCleanDoesNotAllocateWhenClean(t *testing.T) {
	s := strings.Repeat("libc6 GNU C Library: Shared libraries ✓ ", 4)
	if n := testing.AllocsPerRun(100, func() { _ = Clean(s) }); n != 0 {
		t.Errorf("Clean of a clean string allocated %v times", n)
	}
}

// fillStrings makes every string reachable from v equal to s, growing empty
// slices to one element and allocating nil pointers, so that a test can see
// every string field of a type.
func fillStrings(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fillStrings(v.Elem(), s)
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		}
		for i := range v.Len() {
			fillStrings(v.Index(i), s)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillStrings(v.Field(i), s)
			}
		}
	}
}

// mapStrings replaces every string s reachable from v with f(s).
func mapStrings(v reflect.Value, f func(string) string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(f(v.String()))
	case reflect.Pointer:
		if !v.IsNil() {
			mapStrings(v.Elem(), f)
		}
	case reflect.Slice:
		for i := range v.Len() {
			mapStrings(v.Index(i), f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				mapStrings(v.Field(i), f)
			}
		}
	}
}

// walkStrings calls fn with the path and value of every string reachable
// from v.
func walkStrings(v reflect.Value, path string, fn func(path, s string)) {
	switch v.Kind() {
	case reflect.String:
		fn(path, v.String())
	case reflect.Pointer:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, fn)
		}
	case reflect.Slice:
		for i := range v.Len() {
			walkStrings(v.Index(i), path+"[]", fn)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				walkStrings(v.Field(i), path+"."+f.Name, fn)
			}
		}
	}
}

func isCleanString(s string) bool { return utf8.ValidString(s) && !strings.Contains(s, "\x00") }

func TestSanitizeCoversEveryString(t *testing.T) {
	t.Parallel()
	var r Report
	fillStrings(reflect.ValueOf(&r).Elem(), "x\x00\xff")
	count := 0
	walkStrings(reflect.ValueOf(&r).Elem(), "Report", func(string, string) { count++ })
	if count < 40 {
		t.Fatalf("fillStrings reached only %d strings", count)
	}
	r.Sanitize()
	walkStrings(reflect.ValueOf(&r).Elem(), "Report", func(path, s string) {
		if s != "x\uFFFD" {
			t.Errorf("%s = %q after Sanitize, want %q", path, s, "x\uFFFD")
		}
	})
}

func TestSanitizeNil(t *testing.T) {
	t.Parallel()
	var r *Report
	r.Sanitize() // must not panic
}
