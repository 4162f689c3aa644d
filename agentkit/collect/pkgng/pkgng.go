// Package pkgng collects packages and repositories on FreeBSD through pkg(8).
//
// Installed packages come from pkg query, pending updates from pkg version
// against the remote catalogue, and security updates from pkg audit: an update
// is a security update when the installed version is listed as vulnerable in
// the VuXML database. Repositories come from pkg -vv, which prints them with
// ${ABI} and friends already expanded.
//
// Stability: the exported API follows the module's semantic versioning.
package pkgng

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// Manager is FreeBSD's pkg. Build it with New.
type Manager struct {
	host collect.Host
}

var (
	_ collect.PackageManager = (*Manager)(nil)
	_ collect.CacheRefresher = (*Manager)(nil)
)

// New returns the pkg collector for host.
func New(host collect.Host) *Manager { return &Manager{host: host} }

// Detect reports whether host uses FreeBSD's pkg: the binary and its
// database (a "pkg" command alone can be something else on Linux).
func Detect(host collect.Host) bool {
	return host.HasCommand("pkg") && host.Exists("/var/db/pkg")
}

// Name implements collect.PackageManager.
func (m *Manager) Name() string { return "pkg" }

const queryFormat = "%n\t%v\t%o\t%c"

type installed struct {
	Name, Version, Origin, Comment string
}

func parseQuery(out []byte) []installed {
	var res []installed
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.SplitN(line, "\t", 4)
		if len(f) < 2 || strings.TrimSpace(f[0]) == "" || strings.TrimSpace(f[1]) == "" {
			continue
		}
		p := installed{Name: strings.TrimSpace(f[0]), Version: strings.TrimSpace(f[1])}
		if len(f) > 2 {
			p.Origin = strings.TrimSpace(f[2])
		}
		if len(f) > 3 {
			p.Comment = strings.TrimSpace(f[3])
		}
		res = append(res, p)
	}
	return res
}

// splitNameVersion splits "name-version" at the last '-': FreeBSD package
// versions never contain one (they use '_' and ',').
func splitNameVersion(s string) (string, string, bool) {
	i := strings.LastIndexByte(s, '-')
	if i <= 0 || i+1 >= len(s) {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// resolve maps a "name-version" string to the installed name.
func resolve(nv string, byNV map[string]string) (string, bool) {
	if n, ok := byNV[nv]; ok {
		return n, true
	}
	n, _, ok := splitNameVersion(nv)
	return n, ok
}

// parseVersion parses `pkg version -vRL=`: "name-version  <  needs updating
// (remote has X)".
func parseVersion(out []byte, byNV map[string]string) map[string]string {
	res := make(map[string]string)
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[1] != "<" {
			continue
		}
		i := strings.Index(line, "(remote has ")
		if i < 0 {
			continue
		}
		rest := line[i+len("(remote has "):]
		j := strings.IndexByte(rest, ')')
		if j <= 0 {
			continue
		}
		if name, ok := resolve(f[0], byNV); ok {
			res[name] = strings.TrimSpace(rest[:j])
		}
	}
	return res
}

// parseAudit parses `pkg audit -q`: one vulnerable "name-version" per line.
func parseAudit(out []byte, byNV map[string]string) map[string]bool {
	res := make(map[string]bool)
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 1 {
			continue
		}
		if name, ok := resolve(f[0], byNV); ok {
			res[name] = true
		}
	}
	return res
}

// Packages implements collect.PackageCollector.
func (m *Manager) Packages(ctx context.Context) ([]agentproto.Package, error) {
	out, err := m.host.Run(ctx, "pkg", "query", "-a", queryFormat)
	if err != nil {
		return nil, fmt.Errorf("pkg: list installed packages: %w", err)
	}
	inst := parseQuery(out)
	if len(inst) == 0 {
		return nil, fmt.Errorf("pkg: no installed package")
	}
	byNV := make(map[string]string, len(inst))
	for _, p := range inst {
		byNV[p.Name+"-"+p.Version] = p.Name
	}
	out, err = m.host.Run(ctx, "pkg", "version", "-vRL=")
	if err != nil {
		return nil, fmt.Errorf("pkg: list updates: %w", err)
	}
	updates := parseVersion(out, byNV)
	var vulnerable map[string]bool
	if len(updates) > 0 {
		// pkg audit exits 1 when it finds vulnerable packages; a missing
		// VuXML database also fails, and then nothing is flagged.
		out, err := m.host.Run(ctx, "pkg", "audit", "-q")
		if err == nil || collect.ExitCode(err) == 1 {
			vulnerable = parseAudit(out, byNV)
		}
	}
	pkgs := make([]agentproto.Package, 0, len(inst))
	for _, ip := range inst {
		p := agentproto.Package{Name: ip.Name, Description: ip.Comment, CurrentVersion: ip.Version}
		if cat, _, ok := strings.Cut(ip.Origin, "/"); ok {
			p.Category = cat
		}
		if avail, ok := updates[ip.Name]; ok {
			p.NeedsUpdate = true
			p.AvailableVersion = avail
			p.IsSecurityUpdate = vulnerable[ip.Name]
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// parseRepos parses the "Repositories:" section of `pkg -vv`:
//
//	FreeBSD: {
//	  url             : "pkg+http://pkg.FreeBSD.org/FreeBSD:14:amd64/quarterly",
//	  enabled         : yes,
//	  ...
//	}
func parseRepos(out []byte) []agentproto.Repository {
	var res []agentproto.Repository
	in := false
	var cur *agentproto.Repository
	for _, line := range strings.Split(string(out), "\n") {
		t := strings.TrimSpace(line)
		if !in {
			in = t == "Repositories:"
			continue
		}
		if t == "" {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			break // the next top-level section
		}
		switch {
		case strings.HasSuffix(t, "{"):
			name := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(t, "{")), ":"))
			res = append(res, agentproto.Repository{Name: name, Distribution: name, RepoType: "pkg", IsEnabled: true})
			cur = &res[len(res)-1]
		case t == "}":
			cur = nil
		case cur != nil:
			k, v, ok := strings.Cut(t, ":")
			if !ok {
				continue
			}
			v = strings.Trim(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), ",")), `"`)
			switch strings.TrimSpace(k) {
			case "url":
				cur.URL = v
				cur.IsSecure = strings.Contains(strings.ToLower(v), "https://")
			case "enabled":
				cur.IsEnabled = v == "yes" || v == "true" || v == "on"
			}
		}
	}
	out2 := res[:0]
	for _, r := range res {
		if r.URL != "" {
			out2 = append(out2, r)
		}
	}
	return out2
}

// Repositories implements collect.RepositoryCollector.
func (m *Manager) Repositories(ctx context.Context) ([]agentproto.Repository, error) {
	out, err := m.host.Run(ctx, "pkg", "-vv")
	if err != nil {
		return nil, fmt.Errorf("pkg: %w", err)
	}
	return parseRepos(out), nil
}

// CacheAge implements collect.CacheRefresher from the repository catalogues.
func (m *Manager) CacheAge(ctx context.Context) (time.Duration, bool) {
	var newest time.Time
	for _, p := range m.host.Glob("/var/db/pkg/repo-*.sqlite") {
		if fi, err := m.host.Stat(p); err == nil && fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
	}
	if newest.IsZero() {
		return 0, false
	}
	return time.Since(newest), true
}

// RefreshCache implements collect.CacheRefresher: pkg update for the
// catalogues and pkg audit -F for the vulnerability database.
func (m *Manager) RefreshCache(ctx context.Context) error {
	if _, err := m.host.Run(ctx, "pkg", "update", "-q"); err != nil {
		return fmt.Errorf("pkg: refresh catalogues: %w", err)
	}
	if _, err := m.host.Run(ctx, "pkg", "audit", "-Fq"); err != nil && collect.ExitCode(err) != 1 {
		return fmt.Errorf("pkg: refresh vulnerability database: %w", err)
	}
	return nil
}
