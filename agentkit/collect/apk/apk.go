// Package apk collects packages and repositories on Alpine Linux.
//
// Installed packages are read from apk's database (/lib/apk/db/installed),
// which stores name and version as separate fields; nothing has to guess
// where a name like "font-adobe-100dpi" ends and its version starts. Pending
// updates come from `apk version -l '<'`, whose "name-version" strings are
// matched back to that database. Security updates come from Alpine's security
// database (secdb, one JSON file per branch and repository): an update is a
// security update when a fix recorded for the package's origin lies between
// the installed and the available version (the stock agent never flags Alpine
// security updates). Repositories come from /etc/apk/repositories.
//
// Stability: the exported API follows the module's semantic versioning.
package apk

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// DefaultSecDB is where Alpine publishes its security database.
const DefaultSecDB = "https://secdb.alpinelinux.org"

// Options configure the collector.
type Options struct {
	// SecDB is the base URL of the security database; "-" disables
	// security flagging. Default: DefaultSecDB.
	SecDB string
	// Fetch downloads a URL. Default: an HTTP GET with a 30 s timeout.
	Fetch func(ctx context.Context, url string) ([]byte, error)
	// SecDBMaxAge is how long a downloaded security database is reused.
	// Default: 6 hours.
	SecDBMaxAge time.Duration
}

// Manager is the apk package manager. Build it with New.
type Manager struct {
	host collect.Host
	opts Options

	mu      sync.Mutex
	fixes   map[string][]string // origin -> fixed versions
	fetched time.Time
	branch  string
}

var (
	_ collect.PackageManager = (*Manager)(nil)
	_ collect.CacheRefresher = (*Manager)(nil)
)

// New returns the apk collector for host.
func New(host collect.Host, opts Options) *Manager {
	if opts.SecDB == "" {
		opts.SecDB = DefaultSecDB
	}
	if opts.Fetch == nil {
		opts.Fetch = httpFetch
	}
	if opts.SecDBMaxAge <= 0 {
		opts.SecDBMaxAge = 6 * time.Hour
	}
	return &Manager{host: host, opts: opts}
}

// Detect reports whether host uses apk.
func Detect(host collect.Host) bool { return host.HasCommand("apk") }

// Name implements collect.PackageManager.
func (m *Manager) Name() string { return "apk" }

func httpFetch(ctx context.Context, u string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 32<<20))
}

// installed is one package of apk's database.
type installed struct {
	Name, Version, Arch, Description, Origin string
}

// parseInstalledDB parses /lib/apk/db/installed: one paragraph per package of
// "X:value" lines (P name, V version, A architecture, T description, o
// origin), paragraphs separated by blank lines.
func parseInstalledDB(data string) []installed {
	var out []installed
	var cur installed
	flush := func() {
		if cur.Name != "" && cur.Version != "" {
			out = append(out, cur)
		}
		cur = installed{}
	}
	for _, line := range strings.Split(data, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			flush()
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			continue
		}
		v := line[2:]
		switch line[0] {
		case 'P':
			cur.Name = strings.TrimSpace(v)
		case 'V':
			cur.Version = strings.TrimSpace(v)
		case 'A':
			cur.Arch = strings.TrimSpace(v)
		case 'T':
			cur.Description = strings.TrimSpace(v)
		case 'o':
			cur.Origin = strings.TrimSpace(v)
		}
	}
	flush()
	return out
}

// splitNameVersion splits "name-version-rN" using what apk guarantees: a
// version never contains '-', and the package release "-rN" ends it. The
// name is everything before the '-' that starts the version.
func splitNameVersion(s string) (name, version string, ok bool) {
	i := strings.LastIndex(s, "-r")
	if i <= 0 {
		return "", "", false
	}
	j := strings.LastIndexByte(s[:i], '-')
	if j <= 0 || j+1 >= i {
		return "", "", false
	}
	return s[:j], s[j+1:], true
}

// parseVersionList parses `apk version -l '<'`: "name-version < newversion"
// rows after an "Installed: Available:" header. byNameVersion maps installed
// "name-version" strings to names, which resolves every row exactly; rows
// for packages missing from it fall back to splitNameVersion.
func parseVersionList(out []byte, byNameVersion map[string]string) map[string]string {
	res := make(map[string]string)
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[1] != "<" {
			continue
		}
		name, ok := byNameVersion[f[0]]
		if !ok {
			if name, _, ok = splitNameVersion(f[0]); !ok {
				continue
			}
		}
		res[name] = f[2]
	}
	return res
}

// Packages implements collect.PackageCollector.
func (m *Manager) Packages(ctx context.Context) ([]agentproto.Package, error) {
	db, err := m.host.ReadFile("/lib/apk/db/installed")
	if err != nil {
		return nil, fmt.Errorf("apk: read installed database: %w", err)
	}
	inst := parseInstalledDB(string(db))
	if len(inst) == 0 {
		return nil, fmt.Errorf("apk: the installed database lists no package")
	}
	byNV := make(map[string]string, len(inst))
	for _, p := range inst {
		byNV[p.Name+"-"+p.Version] = p.Name
	}
	out, err := m.host.Run(ctx, "apk", "version", "-l", "<")
	if err != nil {
		return nil, fmt.Errorf("apk: list updates: %w", err)
	}
	updates := parseVersionList(out, byNV)
	var fixes map[string][]string
	if len(updates) > 0 {
		fixes = m.securityFixes(ctx)
	}
	pkgs := make([]agentproto.Package, 0, len(inst))
	for _, ip := range inst {
		p := agentproto.Package{Name: ip.Name, Description: ip.Description, CurrentVersion: ip.Version}
		if avail, ok := updates[ip.Name]; ok && collect.CompareAPK(avail, ip.Version) > 0 {
			p.NeedsUpdate = true
			p.AvailableVersion = avail
			origin := ip.Origin
			if origin == "" {
				origin = ip.Name
			}
			p.IsSecurityUpdate = fixedBetween(fixes[origin], ip.Version, avail)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// fixedBetween reports whether one of the fixed versions lies in
// (installed, available]: updating installs that fix.
func fixedBetween(fixed []string, installed, available string) bool {
	for _, f := range fixed {
		if collect.CompareAPK(f, installed) > 0 && collect.CompareAPK(f, available) <= 0 {
			return true
		}
	}
	return false
}

// secdbFile is the part of a secdb JSON file the collector reads.
type secdbFile struct {
	Packages []struct {
		Pkg struct {
			Name     string              `json:"name"`
			Secfixes map[string][]string `json:"secfixes"`
		} `json:"pkg"`
	} `json:"packages"`
}

// parseSecDB returns origin -> versions that fixed something. The version
// "0" marks issues that never affected Alpine's package and is dropped.
func parseSecDB(data []byte, into map[string][]string) error {
	var f secdbFile
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	for _, p := range f.Packages {
		for v := range p.Pkg.Secfixes {
			if v != "0" && p.Pkg.Name != "" {
				into[p.Pkg.Name] = append(into[p.Pkg.Name], v)
			}
		}
	}
	return nil
}

// securityFixes returns the security database for the host's branch, from
// the cache when it is fresh. Failures return what is cached (possibly
// nothing): without the database updates are reported, just not flagged.
func (m *Manager) securityFixes(ctx context.Context) map[string][]string {
	if m.opts.SecDB == "-" {
		return nil
	}
	branch := m.secdbBranch()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fixes != nil && m.branch == branch && time.Since(m.fetched) < m.opts.SecDBMaxAge {
		return m.fixes
	}
	fixes := make(map[string][]string)
	for _, repo := range []string{"main", "community"} {
		u, err := url.JoinPath(m.opts.SecDB, branch, repo+".json")
		if err != nil {
			return m.fixes
		}
		data, err := m.opts.Fetch(ctx, u)
		if err != nil {
			return m.fixes
		}
		if err := parseSecDB(data, fixes); err != nil {
			return m.fixes
		}
	}
	m.fixes, m.fetched, m.branch = fixes, time.Now(), branch
	return fixes
}

// secdbBranch returns the secdb branch of the host: "v3.20" for Alpine 3.20.x,
// "edge" for edge (a version with a _git or _alpha suffix).
func (m *Manager) secdbBranch() string {
	rel, err := m.host.ReadString("/etc/alpine-release")
	if err != nil || rel == "" {
		return "edge"
	}
	if strings.Contains(rel, "_") {
		return "edge"
	}
	parts := strings.SplitN(rel, ".", 3)
	if len(parts) < 2 {
		return "edge"
	}
	return "v" + parts[0] + "." + parts[1]
}

// parseRepositories parses /etc/apk/repositories: one repository URL per
// line, optionally tagged "@tag URL". A commented-out URL line (Alpine's
// installer writes community that way) is a disabled repository.
func parseRepositories(data string) []agentproto.Repository {
	var out []agentproto.Repository
	for _, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		enabled := true
		if strings.HasPrefix(line, "#") {
			enabled = false
			line = strings.TrimSpace(strings.TrimLeft(line, "#"))
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		tag := ""
		if strings.HasPrefix(f[0], "@") && len(f) > 1 {
			tag, f = f[0], f[1:]
		}
		if len(f) != 1 || !(strings.Contains(f[0], "://") || strings.HasPrefix(f[0], "/")) {
			continue // prose in a comment, not a repository
		}
		u := strings.TrimRight(f[0], "/")
		if u == "" {
			continue
		}
		branch, repo := "", ""
		segs := strings.Split(u, "/")
		if len(segs) >= 2 {
			branch, repo = segs[len(segs)-2], segs[len(segs)-1]
		}
		name := u
		if pu, err := url.Parse(u); err == nil && pu.Host != "" {
			name = pu.Host + pu.Path
		}
		if tag != "" {
			name = tag + " " + name
		}
		out = append(out, agentproto.Repository{
			Name:         name,
			URL:          u,
			Distribution: branch,
			Components:   repo,
			RepoType:     "apk",
			IsEnabled:    enabled,
			IsSecure:     strings.HasPrefix(strings.ToLower(u), "https://"),
		})
	}
	return out
}

// Repositories implements collect.RepositoryCollector.
func (m *Manager) Repositories(ctx context.Context) ([]agentproto.Repository, error) {
	b, err := m.host.ReadFile("/etc/apk/repositories")
	if err != nil {
		return nil, fmt.Errorf("apk: %w", err)
	}
	repos := parseRepositories(string(b))
	for _, p := range m.host.Glob("/etc/apk/repositories.d/*.list") {
		if b, err := m.host.ReadFile(p); err == nil {
			repos = append(repos, parseRepositories(string(b))...)
		}
	}
	return repos, nil
}

// CacheAge implements collect.CacheRefresher from the downloaded indexes.
func (m *Manager) CacheAge(ctx context.Context) (time.Duration, bool) {
	var newest time.Time
	for _, pattern := range []string{"/var/cache/apk/APKINDEX.*.tar.gz", "/etc/apk/cache/APKINDEX.*.tar.gz"} {
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

// RefreshCache implements collect.CacheRefresher with apk update.
func (m *Manager) RefreshCache(ctx context.Context) error {
	if _, err := m.host.Run(ctx, "apk", "update", "-q"); err != nil {
		return fmt.Errorf("apk: refresh indexes: %w", err)
	}
	return nil
}
