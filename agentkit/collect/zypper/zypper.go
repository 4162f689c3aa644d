// Package zypper collects packages and repositories on openSUSE and SUSE Linux
// Enterprise through zypper (the stock agent has no zypper support).
//
// Installed packages come from the rpm database and pending updates from
// zypper list-updates. Security updates come from the patches zypper marks
// "needed" in the security category: each patch conflicts with the package
// versions it fixes, and a package is a security update when a needed
// security patch names it (by name and architecture). Repositories come from
// /etc/zypp/repos.d/*.repo.
//
// Stability: the exported API follows the module's semantic versioning.
package zypper

import (
	"context"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/agentkit/collect/rpm"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// Manager is the zypper package manager. Build it with New.
type Manager struct {
	host collect.Host
}

var (
	_ collect.PackageManager = (*Manager)(nil)
	_ collect.CacheRefresher = (*Manager)(nil)
)

// New returns the zypper collector for host.
func New(host collect.Host) *Manager { return &Manager{host: host} }

// Detect reports whether host uses zypper.
func Detect(host collect.Host) bool { return host.HasCommand("zypper") && host.HasCommand("rpm") }

// Name implements collect.PackageManager.
func (m *Manager) Name() string { return "zypper" }

// zypper exits 100-103 to say updates or patches are pending; the output is
// still complete.
func informational(err error) bool {
	c := collect.ExitCode(err)
	return err == nil || (c >= 100 && c <= 103)
}

// Packages implements collect.PackageCollector.
func (m *Manager) Packages(ctx context.Context) ([]agentproto.Package, error) {
	installed, err := rpm.QueryInstalled(ctx, m.host)
	if err != nil {
		return nil, fmt.Errorf("zypper: %w", err)
	}
	installed = rpm.Newest(installed)
	native := ""
	if out, err := m.host.Run(ctx, "uname", "-m"); err == nil {
		native = strings.TrimSpace(string(out))
	}
	out, err := m.host.Run(ctx, "zypper", "--non-interactive", "--quiet", "--xmlout", "list-updates")
	if !informational(err) {
		return nil, fmt.Errorf("zypper: list updates: %w", err)
	}
	updates, err := parseUpdates(out)
	if err != nil {
		return nil, fmt.Errorf("zypper: list updates: %w", err)
	}
	byKey := make(map[string]zypperUpdate, len(updates))
	for _, u := range updates {
		if u.Kind == "" || u.Kind == "package" {
			byKey[rpm.Key(u.Name, u.Arch, native)] = u
		}
	}
	var security map[string]bool
	if len(byKey) > 0 {
		security = m.securityPackages(ctx, native)
	}
	pkgs := make([]agentproto.Package, 0, len(installed))
	for _, ip := range installed {
		key := rpm.Key(ip.Name, ip.Arch, native)
		p := agentproto.Package{Name: key, Description: ip.Summary, Category: ip.Group, CurrentVersion: ip.Version}
		if u, ok := byKey[key]; ok && rpm.CompareEVR(u.Edition, ip.Version) > 0 {
			p.NeedsUpdate = true
			p.AvailableVersion = u.Edition
			p.SourceRepository = u.Source.Alias
			if p.SourceRepository == "" {
				p.SourceRepository = u.Source.URL
			}
			p.IsSecurityUpdate = security[key]
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// securityPackages returns the packages that needed security patches fix.
// Patch metadata is optional; errors leave nothing flagged rather than hiding
// the updates themselves.
func (m *Manager) securityPackages(ctx context.Context, native string) map[string]bool {
	out, err := m.host.Run(ctx, "zypper", "--non-interactive", "--quiet", "--xmlout", "list-patches", "--category", "security")
	if !informational(err) {
		return nil
	}
	patches, err := parseUpdates(out)
	if err != nil {
		return nil
	}
	args := []string{"--non-interactive", "--quiet", "info", "-t", "patch"}
	n := 0
	for _, p := range patches {
		if p.Kind == "patch" && (p.Status == "" || p.Status == "needed") && (p.Category == "" || p.Category == "security") {
			args = append(args, p.Name)
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out, err = m.host.Run(ctx, "zypper", args...)
	if !informational(err) {
		return nil
	}
	return parsePatchConflicts(out, native)
}

type zypperStream struct {
	Updates []zypperUpdate `xml:"update-status>update-list>update"`
}

type zypperUpdate struct {
	Name     string `xml:"name,attr"`
	Edition  string `xml:"edition,attr"`
	Arch     string `xml:"arch,attr"`
	Kind     string `xml:"kind,attr"`
	Status   string `xml:"status,attr"`
	Category string `xml:"category,attr"`
	Severity string `xml:"severity,attr"`
	Source   struct {
		URL   string `xml:"url,attr"`
		Alias string `xml:"alias,attr"`
	} `xml:"source"`
}

// parseUpdates parses zypper's --xmlout list-updates / list-patches stream.
func parseUpdates(out []byte) ([]zypperUpdate, error) {
	if len(strings.TrimSpace(string(out))) == 0 {
		return nil, nil
	}
	var s zypperStream
	if err := xml.Unmarshal(out, &s); err != nil {
		return nil, fmt.Errorf("unreadable XML: %w", err)
	}
	res := s.Updates[:0]
	for _, u := range s.Updates {
		if u.Name != "" && u.Edition != "" {
			res = append(res, u)
		}
	}
	return res, nil
}

// parsePatchConflicts parses `zypper info -t patch …` text: in each patch's
// "Conflicts : [n]" block the indented lines read "name.arch < version";
// source packages ("srcpackage:") are skipped.
func parsePatchConflicts(out []byte, native string) map[string]bool {
	res := make(map[string]bool)
	in := false
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" {
			in = false
			continue
		}
		if line[0] != ' ' && line[0] != '\t' {
			k, _, _ := strings.Cut(line, ":")
			in = strings.TrimSpace(k) == "Conflicts"
			continue
		}
		if !in {
			continue
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		tok := f[0]
		if kind, rest, ok := strings.Cut(tok, ":"); ok {
			if kind != "package" {
				continue
			}
			tok = rest
		}
		name, arch := rpm.SplitNameArch(tok)
		if arch == "src" || arch == "nosrc" || name == "" {
			continue
		}
		if arch == "" {
			arch = native
		}
		res[rpm.Key(name, arch, native)] = true
	}
	return res
}

// Repositories implements collect.RepositoryCollector.
func (m *Manager) Repositories(ctx context.Context) ([]agentproto.Repository, error) {
	osr, _ := m.host.OSRelease()
	machine := ""
	if out, err := m.host.Run(ctx, "uname", "-m"); err == nil {
		machine = strings.TrimSpace(string(out))
	}
	vars := rpm.RepoVars(m.host, osr["VERSION_ID"], machine, "/etc/zypp/vars.d")
	var repos []agentproto.Repository
	for _, p := range m.host.Glob("/etc/zypp/repos.d/*.repo") {
		b, err := m.host.ReadFile(p)
		if err != nil {
			continue
		}
		repos = append(repos, rpm.Repositories(rpm.ParseRepoFile(string(b)), vars)...)
	}
	return repos, nil
}

// CacheAge implements collect.CacheRefresher from zypp's raw metadata cache.
func (m *Manager) CacheAge(ctx context.Context) (time.Duration, bool) {
	var newest time.Time
	for _, p := range m.host.Glob("/var/cache/zypp/raw/*/repodata/repomd.xml") {
		if fi, err := m.host.Stat(p); err == nil && fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
	}
	if newest.IsZero() {
		return 0, false
	}
	return time.Since(newest), true
}

// RefreshCache implements collect.CacheRefresher with zypper refresh.
func (m *Manager) RefreshCache(ctx context.Context) error {
	if _, err := m.host.Run(ctx, "zypper", "--non-interactive", "--quiet", "refresh"); err != nil {
		return fmt.Errorf("zypper: refresh repositories: %w", err)
	}
	return nil
}
