// Package dnf collects packages and repositories on Fedora, RHEL and its
// rebuilds (Rocky, Alma, CentOS Stream, Oracle, Amazon Linux) through dnf, or
// yum where dnf is absent.
//
// Installed packages come from the rpm database, pending updates from
// check-update, and security updates from updateinfo: a package is a security
// update when an applicable security advisory names it by its full package
// name and architecture (the stock agent matched a truncated base name, which
// flagged every java-* package for one java advisory). Repositories come from
// /etc/yum.repos.d/*.repo with $releasever, $basearch and /etc/dnf/vars
// expanded.
//
// Stability: the exported API follows the module's semantic versioning.
package dnf

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/agentkit/collect/rpm"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// Manager is the dnf (or yum) package manager. Build it with New.
type Manager struct {
	host collect.Host
	tool string // "dnf", "dnf5" or "yum"
}

var (
	_ collect.PackageManager = (*Manager)(nil)
	_ collect.CacheRefresher = (*Manager)(nil)
)

// New returns the collector for host using tool ("dnf", "dnf5" or "yum").
// An empty tool picks what Detect finds, defaulting to dnf.
func New(host collect.Host, tool string) *Manager {
	if tool == "" {
		tool, _ = Detect(host)
		if tool == "" {
			tool = "dnf"
		}
	}
	return &Manager{host: host, tool: tool}
}

// Detect returns the tool this host uses ("dnf", "dnf5" or "yum"), or "" and
// false when it has none of them.
func Detect(host collect.Host) (string, bool) {
	if !host.HasCommand("rpm") {
		return "", false
	}
	for _, t := range []string{"dnf", "dnf5", "yum"} {
		if host.HasCommand(t) {
			return t, true
		}
	}
	return "", false
}

// Name implements collect.PackageManager: "yum" for yum, "dnf" otherwise.
func (m *Manager) Name() string {
	if m.tool == "yum" {
		return "yum"
	}
	return "dnf"
}

// Packages implements collect.PackageCollector.
func (m *Manager) Packages(ctx context.Context) ([]agentproto.Package, error) {
	installed, err := rpm.QueryInstalled(ctx, m.host)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.tool, err)
	}
	installed = rpm.Newest(installed)
	native := machine(ctx, m.host)
	out, err := m.host.Run(ctx, m.tool, "-q", "check-update")
	// check-update exits 100 when updates are available, 0 when there are
	// none, 1 on error.
	if err != nil && collect.ExitCode(err) != 100 {
		return nil, fmt.Errorf("%s: check for updates: %w", m.tool, err)
	}
	updates := parseCheckUpdate(out, native)
	var security map[string]bool
	if len(updates) > 0 {
		// Advisories are optional metadata: a repository without them just
		// flags nothing, and a failure here must not hide the updates.
		if out, err := m.host.Run(ctx, m.tool, "-q", "updateinfo", "list", "--security"); err == nil {
			security = parseUpdateinfo(out, native)
		}
	}
	pkgs := make([]agentproto.Package, 0, len(installed))
	for _, ip := range installed {
		key := rpm.Key(ip.Name, ip.Arch, native)
		p := agentproto.Package{
			Name:           key,
			Description:    ip.Summary,
			Category:       ip.Group,
			CurrentVersion: ip.Version,
		}
		if u, ok := updates[key]; ok && rpm.CompareEVR(u.version, ip.Version) > 0 {
			p.NeedsUpdate = true
			p.AvailableVersion = u.version
			p.SourceRepository = u.repo
			p.IsSecurityUpdate = security[key]
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// machine returns the host's machine architecture (uname -m).
func machine(ctx context.Context, host collect.Host) string {
	out, err := host.Run(ctx, "uname", "-m")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

type update struct{ version, repo string }

// parseCheckUpdate parses `dnf -q check-update` (and yum's, and dnf5's)
// output: "name.arch version repo" rows, where a long name.arch may sit alone
// on its line with the rest on the next. The "Obsoleting Packages" section
// that may follow repeats packages with their obsoleted counterparts and
// ends the list.
func parseCheckUpdate(out []byte, native string) map[string]update {
	res := make(map[string]update)
	var pending []string
	for _, line := range strings.Split(string(out), "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "Obsoleting") {
			break
		}
		f := strings.Fields(t)
		if len(f) == 0 {
			continue
		}
		if len(pending) == 0 {
			if _, arch := rpm.SplitNameArch(f[0]); arch == "" {
				continue // a notice, not a package row
			}
		}
		pending = append(pending, f...)
		if len(pending) < 3 {
			continue
		}
		name, arch := rpm.SplitNameArch(pending[0])
		if arch != "" && arch != "src" {
			res[rpm.Key(name, arch, native)] = update{version: pending[1], repo: pending[2]}
		}
		pending = nil
	}
	return res
}

// parseUpdateinfo parses `updateinfo list --security` output of dnf4 ("ID
// Severity/Sec. nevra"), yum and dnf5 (a table with the NEVRA in a column) by
// taking the token of each row that parses as a NEVRA.
func parseUpdateinfo(out []byte, native string) map[string]bool {
	res := make(map[string]bool)
	for _, line := range strings.Split(string(out), "\n") {
		for _, tok := range strings.Fields(line) {
			if n, ok := rpm.ParseNEVRA(tok); ok {
				res[rpm.Key(n.Name, n.Arch, native)] = true
				break
			}
		}
	}
	return res
}

// Repositories implements collect.RepositoryCollector.
func (m *Manager) Repositories(ctx context.Context) ([]agentproto.Repository, error) {
	osr, _ := m.host.OSRelease()
	vars := rpm.RepoVars(m.host, releasever(osr), machine(ctx, m.host), "/etc/yum/vars", "/etc/dnf/vars")
	var repos []agentproto.Repository
	for _, p := range m.host.Glob("/etc/yum.repos.d/*.repo") {
		b, err := m.host.ReadFile(p)
		if err != nil {
			continue
		}
		repos = append(repos, rpm.Repositories(rpm.ParseRepoFile(string(b)), vars)...)
	}
	return repos, nil
}

// releasever approximates dnf's $releasever from os-release: the major
// version on RHEL-like systems ("9" for 9.4), VERSION_ID elsewhere (Fedora
// "40", Amazon Linux "2023").
func releasever(osr map[string]string) string {
	v := osr["VERSION_ID"]
	like := " " + osr["ID"] + " " + osr["ID_LIKE"] + " "
	if strings.Contains(like, " rhel ") || strings.Contains(like, " centos ") {
		if major, _, ok := strings.Cut(v, "."); ok {
			return major
		}
	}
	return v
}

// CacheAge implements collect.CacheRefresher from the newest downloaded
// repomd.xml.
func (m *Manager) CacheAge(ctx context.Context) (time.Duration, bool) {
	var newest time.Time
	for _, pattern := range []string{"/var/cache/dnf/*/repodata/repomd.xml", "/var/cache/libdnf5/*/repodata/repomd.xml", "/var/cache/yum/*/*/*/repomd.xml"} {
		for _, p := range m.host.Glob(pattern) {
			if fi, err := m.host.Stat(p); err == nil && fi.ModTime().After(newest) {
				newest = fi.ModTime()
			}
		}
	}
	if newest.IsZero() {
		return 0, false
	}
	return time.Since(newest), true
}

// RefreshCache implements collect.CacheRefresher with makecache --refresh
// (yum: makecache fast).
func (m *Manager) RefreshCache(ctx context.Context) error {
	args := []string{"-q", "makecache", "--refresh"}
	if m.tool == "yum" {
		args = []string{"-q", "makecache", "fast"}
	}
	if _, err := m.host.Run(ctx, m.tool, args...); err != nil {
		return fmt.Errorf("%s: refresh metadata: %w", m.tool, err)
	}
	return nil
}
