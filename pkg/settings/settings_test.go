package settings_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/settings"
)

func TestServerURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		proto, host string
		port        int
		want        string
	}{
		{"http", "localhost", 3000, "http://localhost:3000"},
		{"https", "patchmon.example.com", 443, "https://patchmon.example.com"},
		{"http", "10.0.0.5", 80, "http://10.0.0.5"},
		{"https", "10.0.0.5", 80, "https://10.0.0.5:80"},
		{"http", "::1", 3000, "http://[::1]:3000"},
		{"https", "[2001:db8::1]", 443, "https://[2001:db8::1]"},
	} {
		assert.Equal(t, tc.want, settings.ServerURL(tc.proto, tc.host, tc.port), "%+v", tc)
	}
}

func TestUpdateValidate(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	for _, tc := range []struct {
		u     settings.Update
		field string
	}{
		{settings.Update{}, ""},
		{settings.Update{UpdateInterval: num(5)}, ""},
		{settings.Update{UpdateInterval: num(1440)}, ""},
		{settings.Update{UpdateInterval: num(4)}, "updateInterval"},
		{settings.Update{UpdateInterval: num(1441)}, "updateInterval"},
		{settings.Update{ServerPort: num(65536)}, "serverPort"},
		{settings.Update{ServerProtocol: str("HTTP")}, "serverProtocol"},
		{settings.Update{ServerHost: str("  ")}, "serverHost"},
		{settings.Update{ServerHost: str("a.example.com")}, ""},
		{settings.Update{ServerHost: str("fe80::1")}, ""},
		{settings.Update{ServerHost: str("host$(reboot)")}, "serverHost"},
		{settings.Update{ServerHost: str("-bad.example.com")}, "serverHost"},
		{settings.Update{ServerHost: str("user@host")}, "serverHost"},
	} {
		err := tc.u.Validate()
		if tc.field == "" {
			assert.NoError(t, err, "%+v", tc.u)
			continue
		}
		assert.ErrorIs(t, err, settings.ErrInvalid, "%+v", tc.u)
		var ae *httpx.APIError
		if assert.True(t, errors.As(err, &ae), "%+v", tc.u) {
			assert.Equal(t, tc.field, ae.Field)
			assert.Equal(t, 400, ae.Status)
		}
	}
}

func TestSniffType(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		kind settings.Kind
		file string
		want string // "" = refused
	}{
		{"svg", settings.LogoDark, `<svg xmlns="http://www.w3.org/2000/svg"/>`, settings.TypeSVG},
		{"svg with bom and doctype", settings.Favicon, "\ufeff<?xml version=\"1.0\"?>\n<!DOCTYPE svg>\n<svg>\n</svg>", settings.TypeSVG},
		{"svg prefix only", settings.LogoDark, `<svgfoo/>`, ""},
		{"svg xlink javascript", settings.LogoDark, `<svg><a xlink:href="JavaScript:alert(1)"/></svg>`, ""},
		{"svg foreignObject", settings.LogoDark, `<svg><foreignObject><div/></foreignObject></svg>`, ""},
		{"svg entity", settings.LogoDark, `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><svg/>`, ""},
		{"ico", settings.Favicon, "\x00\x00\x01\x00\x01\x00\x10\x10", settings.TypeICO},
		{"ico with no images", settings.Favicon, "\x00\x00\x01\x00\x00\x00", ""},
		{"gif", settings.LogoDark, "GIF89a\x01\x00\x01\x00", ""},
		{"latin-1 text", settings.LogoDark, "<svg>\xe9</svg>", ""},
	} {
		got, err := settings.SniffType(tc.kind, []byte(tc.file))
		if tc.want == "" {
			assert.ErrorIs(t, err, settings.ErrInvalid, tc.name)
			continue
		}
		assert.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, got, tc.name)
	}
}

func TestDecodeUpload(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"aGk=":                        "hi",
		"aGk":                         "hi",
		" data:image/png;base64,aGk=": "hi",
	} {
		got, err := settings.DecodeUpload(in)
		assert.NoError(t, err, in)
		assert.Equal(t, want, string(got), in)
	}
	for _, in := range []string{"", "data:image/png;base64", "!!", "data:,"} {
		_, err := settings.DecodeUpload(in)
		assert.ErrorIs(t, err, settings.ErrInvalid, in)
	}
}

// FuzzUpload feeds outside input through the upload checks: they must refuse or accept,
// never panic, and an accepted SVG must be free of what the checks look for.
func FuzzUpload(f *testing.F) {
	f.Add("aGk=", "logo_dark")
	f.Add("data:image/svg+xml;base64,PHN2Zy8+", "favicon")
	f.Add("iVBORw0KGgo=", "logo_light")
	f.Fuzz(func(t *testing.T, content, kind string) {
		b, err := settings.DecodeUpload(content)
		if err != nil {
			return
		}
		ct, err := settings.SniffType(settings.Kind(kind), b)
		if err != nil {
			return
		}
		if ct == settings.TypeSVG {
			for _, bad := range []string{"<script", "javascript:", "<foreignobject"} {
				if containsFold(string(b), bad) {
					t.Fatalf("accepted an SVG containing %s", bad)
				}
			}
		}
	})
}

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		match := true
		for j := 0; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
