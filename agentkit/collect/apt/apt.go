// Package apt collects packages and repositories on Debian, Ubuntu and their
// derivatives from dpkg and APT.
//
// Installed packages come from dpkg-query (only packages whose files are
// installed: removed-but-not-purged "rc" rows are left out). Pending updates
// come from one apt-cache policy call for all of them: a package needs an
// update when its candidate is newer than the installed version, which covers
// upgrades that apt-get upgrade holds back (new dependencies, apt-mark hold)
// as well as phased updates, whether the local APT counts a deferred phased
// version as the candidate or pins it to priority 1. An update is a security
// update when the candidate is published in a security archive, and its
// sourceRepository is where the candidate comes from. Repositories come from
// sources.list, sources.list.d/*.list and deb822 sources.list.d/*.sources.
//
// Stability: the exported API follows the module's semantic versioning.
package apt

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// Manager is the APT package manager. Build it with New.
type Manager struct {
	host collect.Host
}

var (
	_ collect.PackageManager = (*Manager)(nil)
	_ collect.CacheRefresher = (*Manager)(nil)
)

// New returns the APT collector for host.
func New(host collect.Host) *Manager { return &Manager{host: host} }

// Detect reports whether host uses dpkg and APT.
func Detect(host collect.Host) bool {
	return host.HasCommand("dpkg-query") && host.HasCommand("apt-cache")
}

// Name implements collect.PackageManager.
func (m *Manager) Name() string { return "apt" }

// policyArgBudget bounds the bytes of package names passed to one apt-cache
// policy call, well below the kernel's argument limits; each call re-reads
// APT's cache, so fewer calls are faster.
const policyArgBudget = 96 << 10

// Packages implements collect.PackageCollector.
func (m *Manager) Packages(ctx context.Context) ([]agentproto.Package, error) {
	archOut, err := m.host.Run(ctx, "dpkg", "--print-architecture")
	if err != nil {
		return nil, fmt.Errorf("apt: native architecture: %w", err)
	}
	native := strings.TrimSpace(string(archOut))
	out, err := m.host.Run(ctx, "dpkg-query", "-W", "-f="+dpkgQueryFormat)
	if err != nil {
		return nil, fmt.Errorf("apt: list installed packages: %w", err)
	}
	installed := parseDpkgQuery(out, native)
	if len(installed) == 0 {
		return nil, errors.New("apt: dpkg-query listed no installed package")
	}
	policies := make(map[string]*policy, len(installed))
	for start := 0; start < len(installed); {
		args := []string{"policy"}
		size := 0
		end := start
		for ; end < len(installed) && (end == start || size+len(installed[end].QueryName)+1 <= policyArgBudget); end++ {
			args = append(args, installed[end].QueryName)
			size += len(installed[end].QueryName) + 1
		}
		out, err := m.host.Run(ctx, "apt-cache", args...)
		if err != nil {
			return nil, fmt.Errorf("apt: candidate versions: %w", err)
		}
		for k, v := range parsePolicy(out) {
			policies[k] = v
		}
		start = end
	}
	return buildPackages(installed, policies), nil
}

// buildPackages joins dpkg's installed list with APT's policy.
func buildPackages(installed []installedPackage, policies map[string]*policy) []agentproto.Package {
	pkgs := make([]agentproto.Package, 0, len(installed))
	for _, ip := range installed {
		p := agentproto.Package{
			Name:           ip.Name,
			Description:    ip.Summary,
			Category:       ip.Section,
			CurrentVersion: ip.Version,
		}
		if pol := policies[ip.PolicyKey]; pol != nil {
			if v := updateVersion(pol, ip.Version); v != nil {
				p.NeedsUpdate = true
				p.AvailableVersion = v.Version
				p.IsSecurityUpdate, p.SourceRepository = origin(v)
			}
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// updateVersion returns the version the package would be updated to, or nil.
// That is the candidate when it is newer than the installed version. A phased
// update that this machine is not yet part of may have been pinned to
// priority 1 by older APT releases (2.1.16 to 2.4.2), leaving the installed
// version as candidate; such a newer phased version is still a pending update,
// and is reported too.
func updateVersion(pol *policy, installed string) *policyVersion {
	if pol.Candidate != "" && collect.CompareDebian(pol.Candidate, installed) > 0 {
		if v := pol.version(pol.Candidate); v != nil {
			return v
		}
		return &policyVersion{Version: pol.Candidate, Phased: -1}
	}
	var best *policyVersion
	for i := range pol.Versions {
		v := &pol.Versions[i]
		if v.Phased < 0 || collect.CompareDebian(v.Version, installed) <= 0 {
			continue
		}
		if best == nil || collect.CompareDebian(v.Version, best.Version) > 0 {
			best = v
		}
	}
	return best
}

// origin says whether v comes from a security archive and which repository
// it is installed from: the security source when there is one (it is why the
// update matters), else the highest-priority source.
func origin(v *policyVersion) (security bool, repo string) {
	var first, sec *policySource
	for i := range v.Sources {
		s := &v.Sources[i]
		if s.Status {
			continue
		}
		if first == nil || s.Priority > first.Priority {
			first = s
		}
		if sec == nil && s.isSecurity() {
			sec = s
		}
	}
	switch {
	case sec != nil:
		return true, sec.String()
	case first != nil:
		return false, first.String()
	}
	return false, ""
}

// Repositories implements collect.RepositoryCollector.
func (m *Manager) Repositories(ctx context.Context) ([]agentproto.Repository, error) {
	var repos []agentproto.Repository
	if b, err := m.host.ReadFile("/etc/apt/sources.list"); err == nil {
		repos = append(repos, parseOneLineSources(string(b))...)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("apt: %w", err)
	}
	for _, p := range m.host.Glob("/etc/apt/sources.list.d/*") {
		var parse func(string) []agentproto.Repository
		switch path.Ext(p) {
		case ".list":
			parse = parseOneLineSources
		case ".sources":
			parse = parseDeb822Sources
		default:
			continue // *.save, *.disabled, *.dpkg-old: APT ignores them too
		}
		b, err := m.host.ReadFile(p)
		if err != nil {
			continue
		}
		repos = append(repos, parse(string(b))...)
	}
	return repos, nil
}

// CacheAge implements collect.CacheRefresher: the time since APT last
// downloaded its lists, from the update-success stamp that apt's periodic
// jobs and APT::Update::Post-Invoke-Success keep, or else from the newest
// Release file in /var/lib/apt/lists.
func (m *Manager) CacheAge(ctx context.Context) (time.Duration, bool) {
	var newest time.Time
	candidates := append([]string{"/var/lib/apt/periodic/update-success-stamp"}, m.host.Glob("/var/lib/apt/lists/*Release")...)
	for _, p := range candidates {
		if fi, err := m.host.Stat(p); err == nil && fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
	}
	if newest.IsZero() {
		return 0, false
	}
	return time.Since(newest), true
}

// RefreshCache implements collect.CacheRefresher with apt-get update.
func (m *Manager) RefreshCache(ctx context.Context) error {
	if _, err := m.host.Run(ctx, "apt-get", "update", "-q"); err != nil {
		return fmt.Errorf("apt: refresh package lists: %w", err)
	}
	return nil
}
