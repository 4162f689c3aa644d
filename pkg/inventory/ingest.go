package inventory

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/patchmon-go/patchmon/pkg/agentproto"
	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// ReportMeta describes the request a report arrived in.
type ReportMeta struct {
	// BodySize is the size of the body as received, in bytes.
	BodySize int64
	// Digest is the SHA-256 of the body as received. A report whose digest equals the
	// host's previous report within Config.RetryWindow is an agent retry: it is answered
	// like the original and nothing is written. The zero value disables the check.
	Digest [sha256.Size]byte
}

// IngestResult is the outcome of a report.
type IngestResult struct {
	// PackagesProcessed is the number of distinct packages applied (0 when the report
	// did not carry the packages section).
	PackagesProcessed int
	// UpdatesAvailable and SecurityUpdates are the host's counts after the report.
	UpdatesAvailable int
	SecurityUpdates  int
	// Changed is how many host_packages rows were inserted, updated or deleted.
	Changed int
	// Retry is true when the report was recognised as a repeat of the previous one.
	Retry bool
	// AutoUpdate is set when the server has an agent build for the host's platform.
	AutoUpdate *agentproto.AutoUpdate
}

// pkgRow is one package of a report, cleaned and trimmed, as stored in host_packages. It
// has agentproto.Package's layout, so that ingest works on the decoded report's own array
// instead of a copy of it.
type pkgRow agentproto.Package

// sameHostFields reports whether the per-host columns of two rows are equal (the
// shared ones, description and category, live in packages).
func (p *pkgRow) sameHostFields(o *pkgRow) bool {
	return p.CurrentVersion == o.CurrentVersion && p.AvailableVersion == o.AvailableVersion && p.NeedsUpdate == o.NeedsUpdate &&
		p.IsSecurityUpdate == o.IsSecurityUpdate && p.SourceRepository == o.SourceRepository && p.WUAGuid == o.WUAGuid && p.WUAKb == o.WUAKb &&
		p.WUASeverity == o.WUASeverity && p.WUASupportURL == o.WUASupportURL && p.WUARevisionNumber == o.WUARevisionNumber &&
		slices.Equal(p.WUACategories, o.WUACategories)
}

// newestVersion is the version this row says exists: the available one when there is
// an update, else the installed one.
func (p *pkgRow) newestVersion() string {
	if p.NeedsUpdate && p.AvailableVersion != "" {
		return p.AvailableVersion
	}
	return p.CurrentVersion
}

type repoRow struct {
	name, url, distribution, components, repoType string
	enabled, secure                               bool
}

// preparedReport is a validated, cleaned report reduced to what is stored.
type preparedReport struct {
	full                         bool
	sections                     []string
	hasPackages, hasRepos        bool
	hasInterfaces, hasHostname   bool
	packages                     []pkgRow // sorted by name, one per name
	repos                        []repoRow
	updates, security            int
	packagesHash, reposHash      string
	interfacesHash, hostnameHash string
	interfacesJSON, disksJSON    []byte
	report                       *agentproto.Report
}

// invalidReport turns a validation failure into the 400 the agent gets.
func invalidReport(err error) error {
	ae := &httpx.APIError{Status: http.StatusBadRequest, Code: CodeInvalidReport, Message: "Invalid report: " + err.Error()}
	var ve *agentproto.ValidationError
	if errors.As(err, &ve) {
		ae.Field = ve.Field
	}
	return ae
}

// prepare validates r, computes the section hashes and cleans it. It modifies r.
func prepare(r *agentproto.Report) (*preparedReport, error) {
	if err := r.Validate(); err != nil {
		return nil, invalidReport(err)
	}
	p := &preparedReport{
		full:          !r.IsPartial(),
		hasPackages:   r.Has(agentproto.SectionPackages),
		hasRepos:      r.Has(agentproto.SectionRepos) && (r.IsPartial() || r.Repositories != nil),
		hasInterfaces: r.Has(agentproto.SectionInterfaces) && (r.IsPartial() || r.NetworkInterfaces != nil),
		hasHostname:   r.Has(agentproto.SectionHostname) && (r.IsPartial() || strings.TrimSpace(r.Hostname) != ""),
		report:        r,
	}
	for _, s := range agentproto.ReportSections() {
		if r.Has(s) {
			p.sections = append(p.sections, s)
		}
	}
	// Hashes are stored as the agent computed them when it sent them: the ping gate
	// compares the agent's hash with the stored one, and the agent hashed the strings
	// before JSON turned invalid UTF-8 into U+FFFD (see agentproto.Report.Sanitize), so
	// a server-side hash of such a section could never match. Without agent hashes the
	// server computes them from the report as decoded, before cleaning.
	var h agentproto.ReportHashes
	if r.Hashes != nil {
		h = *r.Hashes
	}
	if p.hasPackages {
		p.packagesHash = agentOr(h.PackagesHash, func() string { return agentproto.PackagesHash(r.Packages) })
	}
	if p.hasRepos {
		p.reposHash = agentOr(h.ReposHash, func() string { return agentproto.ReposHash(r.Repositories) })
	}
	if p.hasInterfaces {
		p.interfacesHash = agentOr(h.InterfacesHash, func() string { return agentproto.InterfacesHash(r.NetworkInterfaces) })
	}
	if p.hasHostname {
		p.hostnameHash = agentOr(h.HostnameHash, func() string { return agentproto.HostnameHash(r.Hostname) })
	}
	r.Sanitize()
	if p.hasPackages {
		p.packages = preparePackages(r.Packages)
		for i := range p.packages {
			if p.packages[i].NeedsUpdate {
				p.updates++
				if p.packages[i].IsSecurityUpdate {
					p.security++
				}
			}
		}
	}
	if p.hasRepos {
		p.repos = prepareRepos(r.Repositories)
	}
	var err error
	if p.hasInterfaces {
		ifaces := r.NetworkInterfaces
		if ifaces == nil {
			ifaces = []agentproto.NetworkInterface{}
		}
		if p.interfacesJSON, err = json.Marshal(ifaces); err != nil {
			return nil, err
		}
	}
	if p.full && r.DiskDetails != nil {
		if p.disksJSON, err = json.Marshal(r.DiskDetails); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// agentOr returns the agent's hash when it sent a plausible one, else computes it.
func agentOr(agent string, compute func() string) string {
	if h := strings.TrimSpace(agent); h != "" && len(h) <= 128 {
		return h
	}
	return compute()
}

// preparePackages trims the reported packages, keeps the last of each name (as the
// canonical hash does) and sorts them by name in byte order, the order shared rows are
// written in. It works in place on in and returns the distinct rows, a prefix of it.
func preparePackages(in []agentproto.Package) []pkgRow {
	rows := unsafe.Slice((*pkgRow)(unsafe.SliceData(in)), len(in))
	for i := range rows {
		r := &rows[i]
		r.Name = strings.TrimSpace(r.Name)
		r.Description = strings.TrimSpace(r.Description)
		r.Category = strings.TrimSpace(r.Category)
		r.CurrentVersion = strings.TrimSpace(r.CurrentVersion)
		r.AvailableVersion = strings.TrimSpace(r.AvailableVersion)
		r.SourceRepository = strings.TrimSpace(r.SourceRepository)
		r.WUAGuid = strings.TrimSpace(r.WUAGuid)
		r.WUAKb = strings.TrimSpace(r.WUAKb)
		r.WUASeverity = strings.TrimSpace(r.WUASeverity)
		r.WUASupportURL = strings.TrimSpace(r.WUASupportURL)
		r.WUACategories = wuaCategories(r.WUACategories)
	}
	byName := func(a, b pkgRow) int { return strings.Compare(a.Name, b.Name) }
	// Sorted in place, stably, so that of several rows with one name the last reported
	// ends a run of equal names; no second copy of the rows and no index map.
	if !slices.IsSortedFunc(rows, byName) {
		slices.SortStableFunc(rows, byName)
	}
	out := rows[:0]
	for i := range rows {
		if i+1 < len(rows) && rows[i+1].Name == rows[i].Name {
			continue
		}
		out = append(out, rows[i])
	}
	clear(rows[len(out):])
	return out
}

// wuaCategories returns trimmed, sorted categories, nil for none. The unit separator is
// removed because it joins categories on their way into SQL.
func wuaCategories(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, 0, len(in))
	for _, c := range in {
		if c = strings.TrimSpace(strings.ReplaceAll(c, "\x1f", "")); c != "" {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil
	}
	slices.Sort(out)
	return out
}

// prepareRepos keeps the last repository of each (url, distribution, components) and
// sorts them by that key.
func prepareRepos(in []agentproto.Repository) []repoRow {
	rows := make([]repoRow, 0, len(in))
	index := make(map[[3]string]int, len(in))
	for i := range in {
		r := &in[i]
		row := repoRow{
			name:         strings.TrimSpace(r.Name),
			url:          strings.TrimSpace(r.URL),
			distribution: strings.TrimSpace(r.Distribution),
			components:   strings.TrimSpace(r.Components),
			repoType:     strings.TrimSpace(r.RepoType),
			enabled:      r.IsEnabled,
			secure:       r.IsSecure,
		}
		key := [3]string{row.url, row.distribution, row.components}
		if j, ok := index[key]; ok {
			rows[j] = row
			continue
		}
		index[key] = len(rows)
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b repoRow) int {
		return cmp.Or(strings.Compare(a.url, b.url), strings.Compare(a.distribution, b.distribution),
			strings.Compare(a.components, b.components))
	})
	return rows
}

// Ingest applies a report from agent a: validation (400 for broken rules, nothing
// written), cleaning, then one transaction that writes only what changed. The
// transaction is retried from the start on serialization failures and deadlocks, and a
// retried report finds nothing left to change, so Ingest is idempotent. Ingest cleans r
// in place: strings are trimmed and sanitised, and r.Packages is sorted by name with
// duplicates removed (its length is kept; the rows past the distinct ones are zeroed).
func (s *Service) Ingest(ctx context.Context, a Agent, r *agentproto.Report, meta ReportMeta) (IngestResult, error) {
	start := time.Now()
	p, err := prepare(r)
	if err != nil {
		return IngestResult{}, err
	}
	res, flags, err := s.ingest(ctx, a, p, meta, start)
	if errors.Is(err, ErrInvalidCredentials) {
		s.forget(ctx, a)
	}
	if err != nil {
		return IngestResult{}, err
	}
	if p.full {
		res.AutoUpdate = s.autoUpdate(ctx, r.Architecture, r.AgentVersion, flags)
	}
	return res, nil
}

// autoUpdate tells a reporting agent whether to update itself: only when this build
// carries an agent for its platform that is newer than it, and auto-update is enabled
// for the server and for the host.
func (s *Service) autoUpdate(ctx context.Context, arch, current string, flags autoFlags) *agentproto.AutoUpdate {
	goarch, ok := normalizeArch(arch)
	if !ok || strings.TrimSpace(current) == "" {
		return nil
	}
	bin, err := s.bins.lookup(AgentOS, goarch)
	if err != nil {
		if !errors.Is(err, ErrNoAgentBinary) {
			s.log.WarnContext(ctx, "reading agent binary failed", "arch", goarch, "err", err)
		}
		return nil
	}
	au := &agentproto.AutoUpdate{LatestVersion: bin.Version, CurrentVersion: current}
	newer := CompareVersions(bin.Version, current) > 0
	switch {
	case !newer:
		au.Message = "Agent is up to date"
	case !flags.server:
		au.Message = "Auto-update is disabled in server settings"
	case !flags.host:
		au.Message = "Auto-update is disabled for this host"
	default:
		au.ShouldUpdate = true
		au.Message = "A newer agent version is available"
	}
	return au
}
