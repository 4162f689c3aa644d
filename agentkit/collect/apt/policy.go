package apt

import (
	"bytes"
	"strconv"
	"strings"
)

// policy is what apt-cache policy says about one package.
type policy struct {
	Installed string // "" when not installed
	Candidate string // "" when there is none
	Versions  []policyVersion
}

// policyVersion is one row of a package's version table.
type policyVersion struct {
	Version   string
	Priority  int
	Installed bool // marked "***"
	// Phased is the Phased-Update-Percentage when the version is being
	// phased in ("(phased 20%)"), or -1.
	Phased  int
	Sources []policySource
}

// policySource is one place a version is available from.
type policySource struct {
	Priority int
	URL      string // "http://deb.debian.org/debian"
	Dist     string // "bookworm-security/main"; "./" for flat repositories
	Status   bool   // /var/lib/dpkg/status: the installed copy, not a repository
}

// String is the sourceRepository form: "URL dist".
func (s policySource) String() string {
	if s.Dist == "" {
		return s.URL
	}
	return s.URL + " " + s.Dist
}

// parsePolicy parses the output of `apt-cache policy pkg...` (C locale) into
// a map keyed by the header apt prints: the package name, with ":arch" only
// for a foreign architecture.
func parsePolicy(out []byte) map[string]*policy {
	res := make(map[string]*policy)
	var cur *policy
	var ver *policyVersion
	for len(out) > 0 {
		var raw []byte
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			raw, out = out[:i], out[i+1:]
		} else {
			raw, out = out, nil
		}
		line := strings.TrimRight(string(raw), " \r")
		if line == "" {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		text := line[indent:]
		switch {
		case indent == 0:
			// A package header "name:" (or "name:arch:"). Anything else at
			// column 0 (warnings, "N: Unable to locate package") ends the
			// current entry.
			cur, ver = nil, nil
			if name, ok := strings.CutSuffix(text, ":"); ok && name != "" && !strings.ContainsAny(name, " \t") {
				cur = &policy{}
				res[name] = cur
			}
		case cur == nil:
		case strings.HasPrefix(text, "Installed:"):
			cur.Installed = noneToEmpty(strings.TrimSpace(strings.TrimPrefix(text, "Installed:")))
		case strings.HasPrefix(text, "Candidate:"):
			cur.Candidate = noneToEmpty(strings.TrimSpace(strings.TrimPrefix(text, "Candidate:")))
		case strings.HasPrefix(text, "Version table:"), strings.HasPrefix(text, "Package pin:"):
		case strings.HasPrefix(text, "***"):
			cur.Versions = append(cur.Versions, parseVersionLine(strings.TrimSpace(text[3:]), true))
			ver = &cur.Versions[len(cur.Versions)-1]
		case indent >= 6:
			// apt prints sources with a wider indent (7 spaces and a
			// right-aligned priority) than versions (5 spaces or " *** "),
			// which is the only way to tell them apart: a version may be
			// all digits, like a priority.
			if ver != nil {
				if src, ok := parseSourceLine(text); ok {
					ver.Sources = append(ver.Sources, src)
				}
			}
		default:
			cur.Versions = append(cur.Versions, parseVersionLine(text, false))
			ver = &cur.Versions[len(cur.Versions)-1]
		}
	}
	return res
}

func noneToEmpty(s string) string {
	if s == "(none)" {
		return ""
	}
	return s
}

// parseVersionLine parses "2.4.7 500 (phased 20%)".
func parseVersionLine(text string, installed bool) policyVersion {
	v := policyVersion{Installed: installed, Phased: -1}
	f := strings.Fields(text)
	if len(f) > 0 {
		v.Version = f[0]
	}
	if len(f) > 1 {
		v.Priority, _ = strconv.Atoi(f[1])
	}
	if i := strings.Index(text, "(phased "); i >= 0 {
		rest := text[i+len("(phased "):]
		if j := strings.IndexByte(rest, '%'); j > 0 {
			if n, err := strconv.Atoi(rest[:j]); err == nil && n >= 0 && n <= 100 {
				v.Phased = n
			}
		}
	}
	return v
}

// parseSourceLine parses "500 http://deb.debian.org/debian bookworm/main amd64
// Packages" or "100 /var/lib/dpkg/status".
func parseSourceLine(text string) (policySource, bool) {
	f := strings.Fields(text)
	if len(f) < 2 {
		return policySource{}, false
	}
	prio, err := strconv.Atoi(f[0])
	if err != nil {
		return policySource{}, false
	}
	s := policySource{Priority: prio, URL: f[1]}
	if strings.HasSuffix(f[1], "/dpkg/status") {
		s.Status = true
		return s, true
	}
	if len(f) > 2 && f[2] != "Packages" {
		s.Dist = f[2]
	}
	return s, true
}

// isSecurity reports whether a source is a security archive: a suite named
// "*-security" (Debian 11+, Ubuntu, Ubuntu ESM), the "suite/updates" layout of
// Debian 10 and older, or one of the well-known security hosts.
func (s policySource) isSecurity() bool {
	if s.Status {
		return false
	}
	suite := s.Dist
	if i := strings.LastIndexByte(suite, '/'); i >= 0 {
		suite = suite[:i] // drop the component
	}
	if strings.HasSuffix(suite, "-security") || strings.HasSuffix(suite, "/updates") {
		return true
	}
	u := strings.ToLower(s.URL)
	return strings.Contains(u, "security.debian.org") || strings.Contains(u, "/debian-security") ||
		strings.Contains(u, "security.ubuntu.com")
}

// version returns the version-table row of v, or nil.
func (p *policy) version(v string) *policyVersion {
	for i := range p.Versions {
		if p.Versions[i].Version == v {
			return &p.Versions[i]
		}
	}
	return nil
}
