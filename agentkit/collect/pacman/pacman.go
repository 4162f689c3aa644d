// Package pacman collects packages and repositories on Arch Linux and its
// derivatives.
//
// Installed packages are read from pacman's local database
// (/var/lib/pacman/local/*/desc). Pending updates come from checkupdates
// (pacman-contrib), which syncs a private copy of the databases and so never
// causes a partial upgrade, or else from pacman -Qu against the databases of
// the last `pacman -Sy`. Security updates come from the Arch Linux security
// tracker (the stock agent never flags them): an update is a security update
// when an advisory group lists the package with a fixed version lying between
// the installed and the available one. Repositories come from
// /etc/pacman.conf and the files it includes.
//
// Stability: the exported API follows the module's semantic versioning.
package pacman

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/patchmon-go/patchmon/agentkit/collect"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// DefaultTracker is the Arch Linux security tracker's list of all advisory
// groups.
const DefaultTracker = "https://security.archlinux.org/all.json"

// Options configure the collector.
type Options struct {
	// Tracker is the URL of the security tracker's JSON; "-" disables
	// security flagging. Default: DefaultTracker.
	Tracker string
	// Fetch downloads a URL. Default: an HTTP GET with a 30 s timeout.
	Fetch func(ctx context.Context, url string) ([]byte, error)
	// TrackerMaxAge is how long a download is reused. Default: 6 hours.
	TrackerMaxAge time.Duration
}

// Manager is the pacman package manager. Build it with New.
type Manager struct {
	host collect.Host
	opts Options

	mu      sync.Mutex
	fixes   map[string][]string // package -> fixed versions
	fetched time.Time
}

var _ collect.PackageManager = (*Manager)(nil)

// New returns the pacman collector for host.
func New(host collect.Host, opts Options) *Manager {
	if opts.Tracker == "" {
		opts.Tracker = DefaultTracker
	}
	if opts.Fetch == nil {
		opts.Fetch = httpFetch
	}
	if opts.TrackerMaxAge <= 0 {
		opts.TrackerMaxAge = 6 * time.Hour
	}
	return &Manager{host: host, opts: opts}
}

// Detect reports whether host uses pacman.
func Detect(host collect.Host) bool { return host.HasCommand("pacman") }

// Name implements collect.PackageManager.
func (m *Manager) Name() string { return "pacman" }

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
	return io.ReadAll(io.LimitReader(resp.Body, 64<<20))
}

type installed struct {
	Name, Base, Version, Desc, Group string
}

// parseDesc parses a local database desc file: "%FIELD%" lines each followed
// by value lines up to a blank line.
func parseDesc(data string) installed {
	var p installed
	field := ""
	for _, line := range strings.Split(data, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			field = ""
			continue
		}
		if len(line) > 2 && line[0] == '%' && line[len(line)-1] == '%' {
			field = line
			continue
		}
		switch field {
		case "%NAME%":
			p.Name = strings.TrimSpace(line)
		case "%VERSION%":
			p.Version = strings.TrimSpace(line)
		case "%BASE%":
			p.Base = strings.TrimSpace(line)
		case "%DESC%":
			p.Desc = strings.TrimSpace(line)
		case "%GROUPS%":
			if p.Group == "" {
				p.Group = strings.TrimSpace(line)
			}
		}
	}
	return p
}

// parseUpdates parses "name old -> new" rows of checkupdates and pacman -Qu
// (which may append " [ignored]").
func parseUpdates(out []byte) map[string]string {
	res := make(map[string]string)
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[2] == "->" {
			res[f[0]] = f[3]
		}
	}
	return res
}

// Packages implements collect.PackageCollector.
func (m *Manager) Packages(ctx context.Context) ([]agentproto.Package, error) {
	var inst []installed
	for _, p := range m.host.Glob("/var/lib/pacman/local/*/desc") {
		b, err := m.host.ReadFile(p)
		if err != nil {
			continue
		}
		if ip := parseDesc(string(b)); ip.Name != "" && ip.Version != "" {
			inst = append(inst, ip)
		}
	}
	if len(inst) == 0 {
		return nil, fmt.Errorf("pacman: the local database lists no package")
	}
	var out []byte
	var err error
	if m.host.HasCommand("checkupdates") {
		// Exit 2 means "no updates".
		out, err = m.host.Run(ctx, "checkupdates", "--nocolor")
		if collect.ExitCode(err) == 2 {
			err = nil
		}
	} else {
		// Exit 1 with no output means "no updates".
		out, err = m.host.Run(ctx, "pacman", "-Qu")
		if collect.ExitCode(err) == 1 && len(strings.TrimSpace(string(out))) == 0 {
			err = nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("pacman: list updates: %w", err)
	}
	updates := parseUpdates(out)
	var fixes map[string][]string
	if len(updates) > 0 {
		fixes = m.securityFixes(ctx)
	}
	pkgs := make([]agentproto.Package, 0, len(inst))
	for _, ip := range inst {
		p := agentproto.Package{Name: ip.Name, Description: ip.Desc, Category: ip.Group, CurrentVersion: ip.Version}
		if avail, ok := updates[ip.Name]; ok && collect.ComparePacman(avail, ip.Version) > 0 {
			p.NeedsUpdate = true
			p.AvailableVersion = avail
			p.IsSecurityUpdate = fixedBetween(fixes[ip.Name], ip.Version, avail) ||
				(ip.Base != "" && ip.Base != ip.Name && fixedBetween(fixes[ip.Base], ip.Version, avail))
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

func fixedBetween(fixed []string, installed, available string) bool {
	for _, f := range fixed {
		if collect.ComparePacman(f, installed) > 0 && collect.ComparePacman(f, available) <= 0 {
			return true
		}
	}
	return false
}

// trackerGroup is one advisory group (AVG) of the tracker's all.json.
type trackerGroup struct {
	Packages []string `json:"packages"`
	Status   string   `json:"status"`
	Fixed    *string  `json:"fixed"`
}

// parseTracker returns package -> fixed versions from all.json.
func parseTracker(data []byte) (map[string][]string, error) {
	var groups []trackerGroup
	if err := json.Unmarshal(data, &groups); err != nil {
		return nil, err
	}
	res := make(map[string][]string)
	for _, g := range groups {
		if g.Fixed == nil || *g.Fixed == "" {
			continue
		}
		for _, p := range g.Packages {
			res[p] = append(res[p], *g.Fixed)
		}
	}
	return res, nil
}

func (m *Manager) securityFixes(ctx context.Context) map[string][]string {
	if m.opts.Tracker == "-" {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fixes != nil && time.Since(m.fetched) < m.opts.TrackerMaxAge {
		return m.fixes
	}
	data, err := m.opts.Fetch(ctx, m.opts.Tracker)
	if err != nil {
		return m.fixes
	}
	fixes, err := parseTracker(data)
	if err != nil {
		return m.fixes
	}
	m.fixes, m.fetched = fixes, time.Now()
	return fixes
}

// parseConf parses pacman.conf-style text into repository sections with
// their Server lines; Include directives are resolved through include.
// [options] is configuration, not a repository.
func parseConf(data string, include func(string) string) []agentproto.Repository {
	type section struct {
		name    string
		servers []string
	}
	var secs []*section
	var cur *section
	var addLines func(text string, depth int)
	addLines = func(text string, depth int) {
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			if line == "" {
				continue
			}
			if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
				if depth > 0 {
					continue // sections cannot start inside an included mirror list
				}
				name := strings.TrimSpace(line[1 : len(line)-1])
				cur = nil
				if name != "options" && name != "" {
					cur = &section{name: name}
					secs = append(secs, cur)
				}
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok || cur == nil {
				continue
			}
			switch strings.TrimSpace(k) {
			case "Server":
				cur.servers = append(cur.servers, strings.TrimSpace(v))
			case "Include":
				if depth < 3 && include != nil {
					addLines(include(strings.TrimSpace(v)), depth+1)
				}
			}
		}
	}
	addLines(data, 0)
	var out []agentproto.Repository
	for _, s := range secs {
		if len(s.servers) == 0 {
			continue
		}
		u := strings.ReplaceAll(s.servers[0], "$repo", s.name)
		out = append(out, agentproto.Repository{
			Name:         s.name,
			URL:          u,
			Distribution: s.name,
			RepoType:     "pacman",
			IsEnabled:    true,
			IsSecure:     strings.HasPrefix(strings.ToLower(u), "https://"),
		})
	}
	return out
}

// Repositories implements collect.RepositoryCollector.
func (m *Manager) Repositories(ctx context.Context) ([]agentproto.Repository, error) {
	b, err := m.host.ReadFile("/etc/pacman.conf")
	if err != nil {
		return nil, fmt.Errorf("pacman: %w", err)
	}
	arch := ""
	if out, err := m.host.Run(ctx, "uname", "-m"); err == nil {
		arch = strings.TrimSpace(string(out))
	}
	include := func(p string) string {
		var sb strings.Builder
		for _, f := range m.host.Glob(path.Clean(p)) {
			if b, err := m.host.ReadFile(f); err == nil {
				sb.Write(b)
				sb.WriteByte('\n')
			}
		}
		return sb.String()
	}
	repos := parseConf(string(b), include)
	for i := range repos {
		if arch != "" {
			repos[i].URL = strings.ReplaceAll(repos[i].URL, "$arch", arch)
		}
	}
	return repos, nil
}
