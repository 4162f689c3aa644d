// Package rpm holds what the RPM-based package managers (dnf, yum and zypper)
// share: the installed-package list from the rpm database, NEVRA parsing and
// the INI-style .repo files of /etc/yum.repos.d and /etc/zypp/repos.d.
//
// Stability: the exported API follows the module's semantic versioning.
package rpm

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// QueryFormat is the rpm --queryformat the installed-package parser expects.
// The summary is last so that a tab inside it cannot shift other fields.
const QueryFormat = `%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{GROUP}\t%{SUMMARY}\n`

// Installed is one installed rpm.
type Installed struct {
	Name    string // rpm name
	Arch    string
	Version string // [epoch:]version-release, as dnf and zypper print it
	Group   string
	Summary string
}

// Key is how the package is reported and matched: the plain name for the
// native architecture and noarch, "name.arch" otherwise, so that the i686
// copy of a library on x86_64 stays a separate, stably named row.
func Key(name, arch, native string) string {
	if arch == "" || arch == "noarch" || arch == native || native == "" || (arch == "(none)") {
		return name
	}
	return name + "." + arch
}

// ParseInstalled parses `rpm -qa --qf QueryFormat` output. gpg-pubkey
// pseudo-packages (imported signing keys) are skipped.
func ParseInstalled(out []byte) []Installed {
	res := make([]Installed, 0, bytes.Count(out, []byte{'\n'})+1)
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.SplitN(line, "\t", 7)
		if len(f) < 5 {
			continue
		}
		name := strings.TrimSpace(f[0])
		ver, rel := strings.TrimSpace(f[2]), strings.TrimSpace(f[3])
		if name == "" || ver == "" || name == "gpg-pubkey" {
			continue
		}
		v := ver
		if rel != "" && rel != "(none)" {
			v += "-" + rel
		}
		if e := strings.TrimSpace(f[1]); e != "" && e != "(none)" && e != "0" {
			v = e + ":" + v
		}
		p := Installed{Name: name, Arch: strings.TrimSpace(f[4]), Version: v}
		if len(f) > 5 {
			p.Group = strings.TrimSpace(f[5])
			if p.Group == "(none)" || p.Group == "Unspecified" {
				p.Group = ""
			}
		}
		if len(f) > 6 {
			p.Summary = strings.TrimSpace(f[6])
		}
		res = append(res, p)
	}
	return res
}

// QueryInstalled runs rpm -qa on host and parses it.
func QueryInstalled(ctx context.Context, host collect.Host) ([]Installed, error) {
	out, err := host.Run(ctx, "rpm", "-qa", "--qf", QueryFormat)
	if err != nil {
		return nil, fmt.Errorf("rpm: list installed packages: %w", err)
	}
	pkgs := ParseInstalled(out)
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("rpm: the rpm database lists no package")
	}
	return pkgs, nil
}

// knownArches are the RPM architectures NEVRA parsing recognises as a
// trailing ".arch".
var knownArches = []string{
	"noarch", "x86_64", "i386", "i486", "i586", "i686", "athlon", "aarch64", "armv7hl", "armv7l",
	"armv6hl", "ppc64le", "ppc64", "s390x", "riscv64", "loongarch64", "src", "nosrc",
}

// IsArch reports whether a is an RPM architecture name.
func IsArch(a string) bool { return slices.Contains(knownArches, a) }

// NEVRA is a parsed name-[epoch:]version-release.arch string.
type NEVRA struct {
	Name, Version, Arch string // Version is [epoch:]version-release
}

// ParseNEVRA parses "kernel-5.14.0-427.el9.x86_64" or
// "openssl-1:1.0.2k-19.el7.x86_64". ok is false when s has no known
// architecture or too few '-' separated parts to hold a version and release.
func ParseNEVRA(s string) (NEVRA, bool) {
	i := strings.LastIndexByte(s, '.')
	if i <= 0 || !IsArch(s[i+1:]) {
		return NEVRA{}, false
	}
	arch, rest := s[i+1:], s[:i]
	r := strings.LastIndexByte(rest, '-')
	if r <= 0 {
		return NEVRA{}, false
	}
	v := strings.LastIndexByte(rest[:r], '-')
	if v <= 0 || v+1 >= r || r+1 >= len(rest) {
		return NEVRA{}, false
	}
	return NEVRA{Name: rest[:v], Version: rest[v+1:], Arch: arch}, true
}

// SplitNameArch splits "name.arch" when the suffix is a known architecture.
func SplitNameArch(s string) (name, arch string) {
	if i := strings.LastIndexByte(s, '.'); i > 0 && IsArch(s[i+1:]) {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// RepoSection is one [section] of a .repo file.
type RepoSection struct {
	ID     string
	Values map[string]string // lower-cased keys; continuation lines joined with "\n"
}

// ParseRepoFile parses an INI-style .repo file. Keys are case-insensitive;
// a line starting with white space continues the previous value (yum allows
// one baseurl per line); '#' and ';' start comments.
func ParseRepoFile(data string) []RepoSection {
	var out []RepoSection
	var cur *RepoSection
	last := ""
	for _, line := range strings.Split(data, "\n") {
		line = strings.TrimRight(line, " \t\r")
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';':
			continue
		case trimmed[0] == '[' && strings.HasSuffix(trimmed, "]"):
			out = append(out, RepoSection{ID: strings.TrimSpace(trimmed[1 : len(trimmed)-1]), Values: map[string]string{}})
			cur = &out[len(out)-1]
			last = ""
		case cur == nil:
		case (line[0] == ' ' || line[0] == '\t') && last != "":
			cur.Values[last] += "\n" + trimmed
		default:
			k, v, ok := strings.Cut(trimmed, "=")
			if !ok {
				continue
			}
			last = strings.ToLower(strings.TrimSpace(k))
			cur.Values[last] = strings.TrimSpace(v)
		}
	}
	return out
}

// Repositories turns .repo sections into repositories. vars expands $name
// and ${name} references (releasever, basearch, …); unknown ones stay as
// written. The URL is the first baseurl, else the mirrorlist or metalink;
// the distribution is the repository id, which is what identifies a
// repository to dnf and zypper.
func Repositories(sections []RepoSection, vars map[string]string) []agentproto.Repository {
	out := make([]agentproto.Repository, 0, len(sections))
	for _, s := range sections {
		if s.ID == "" || strings.EqualFold(s.ID, "main") && s.Values["baseurl"] == "" && s.Values["mirrorlist"] == "" && s.Values["metalink"] == "" {
			continue // dnf.conf's [main] is configuration, not a repository
		}
		u := firstURL(s.Values["baseurl"])
		if u == "" {
			u = firstURL(s.Values["mirrorlist"])
		}
		if u == "" {
			u = firstURL(s.Values["metalink"])
		}
		if u == "" {
			continue
		}
		u = Expand(u, vars)
		name := Expand(strings.TrimSpace(s.Values["name"]), vars)
		if name == "" {
			name = s.ID
		}
		typ := strings.TrimSpace(s.Values["type"])
		if typ == "" {
			typ = "rpm"
		}
		out = append(out, agentproto.Repository{
			Name:         name,
			URL:          u,
			Distribution: s.ID,
			RepoType:     typ,
			IsEnabled:    parseBool(s.Values["enabled"], true),
			IsSecure:     strings.HasPrefix(strings.ToLower(u), "https://"),
		})
	}
	return out
}

func firstURL(v string) string {
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == ',' }) {
		if strings.Contains(f, "://") || strings.HasPrefix(f, "file:") {
			return f
		}
	}
	return ""
}

func parseBool(v string, def bool) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "yes", "true", "on":
		return true
	case "0", "no", "false", "off":
		return false
	}
	return def
}

// Expand replaces $var and ${var} in s with vars' values; unknown variables
// are kept as written.
func Expand(s string, vars map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		j := i + 1
		braced := j < len(s) && s[j] == '{'
		if braced {
			j++
		}
		k := j
		for k < len(s) && (s[k] == '_' || s[k] >= 'a' && s[k] <= 'z' || s[k] >= 'A' && s[k] <= 'Z' || s[k] >= '0' && s[k] <= '9') {
			k++
		}
		name := s[j:k]
		end := k
		if braced {
			if k >= len(s) || s[k] != '}' {
				b.WriteByte('$')
				continue
			}
			end = k + 1
		}
		if v, ok := vars[strings.ToLower(name)]; ok && name != "" {
			b.WriteString(v)
			i = end - 1
			continue
		}
		b.WriteByte('$')
	}
	return b.String()
}

// RepoVars builds the variables .repo files use: releasever and basearch
// derived from os-release and the machine architecture, then any files in
// the given variable directories (/etc/dnf/vars, /etc/yum/vars), whose
// names are the variable names.
func RepoVars(host collect.Host, releasever, machine string, varDirs ...string) map[string]string {
	vars := map[string]string{"releasever": releasever, "arch": machine, "basearch": BaseArch(machine)}
	if major, _, ok := strings.Cut(releasever, "."); ok {
		vars["releasever_major"] = major
	} else {
		vars["releasever_major"] = releasever
	}
	for _, dir := range varDirs {
		for _, p := range host.Glob(dir + "/*") {
			if v, err := host.ReadString(p); err == nil {
				vars[strings.ToLower(path.Base(p))] = v
			}
		}
	}
	return vars
}

// BaseArch maps a machine architecture to the $basearch repositories use.
func BaseArch(machine string) string {
	switch machine {
	case "i386", "i486", "i586", "i686", "athlon":
		return "i386"
	case "armv7l", "armv7hl", "armv7hnl", "armv6l":
		return "armhfp"
	}
	return machine
}

// CompareEVR compares two [epoch:]version[-release] strings as rpm orders
// them and returns -1, 0 or +1. A missing epoch is 0; the release is compared
// only when both have one.
func CompareEVR(a, b string) int {
	ae, av, ar := splitEVR(a)
	be, bv, br := splitEVR(b)
	if c := collect.CompareRPM(ae, be); c != 0 {
		return c
	}
	if c := collect.CompareRPM(av, bv); c != 0 {
		return c
	}
	if ar == "" || br == "" {
		return 0
	}
	return collect.CompareRPM(ar, br)
}

func splitEVR(s string) (epoch, version, release string) {
	epoch = "0"
	if i := strings.IndexByte(s, ':'); i >= 0 {
		epoch, s = s[:i], s[i+1:]
		if epoch == "" {
			epoch = "0"
		}
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		return epoch, s[:i], s[i+1:]
	}
	return epoch, s, ""
}

// Newest keeps one entry per name and architecture: the newest version.
// Install-only packages (kernel, kernel-core, …) have several versions
// installed at once; the inventory reports a package once, at the version
// updates are measured against. The order of first appearance is kept.
func Newest(pkgs []Installed) []Installed {
	type key struct{ name, arch string }
	idx := make(map[key]int, len(pkgs))
	out := pkgs[:0:0]
	for _, p := range pkgs {
		k := key{p.Name, p.Arch}
		if i, ok := idx[k]; ok {
			if CompareEVR(p.Version, out[i].Version) > 0 {
				out[i] = p
			}
			continue
		}
		idx[k] = len(out)
		out = append(out, p)
	}
	return out
}
