package inventory

import "testing"

func TestCSVCell(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                          "",
		"openssl":                   "openssl",
		"1:2.3-4ubuntu1":            "1:2.3-4ubuntu1",
		`=HYPERLINK("http://x")`:    `'=HYPERLINK("http://x")`,
		"+1":                        "'+1",
		"-2+3":                      "'-2+3",
		"@SUM(A1)":                  "'@SUM(A1)",
		"\tcmd":                     "'\tcmd",
		"\rcmd":                     "'\rcmd",
		"web-01 = frontend":         "web-01 = frontend",
		"http://deb.debian.org/x=y": "http://deb.debian.org/x=y",
	} {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
		}
	}
}
