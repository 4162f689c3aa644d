package integrationapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/patchmon-go/patchmon/openapi"
)

// errNoHost is a host id that names no host.
var errNoHost = errors.New("integrationapi: no such host")

// errNoPackage is a package id that names no package.
var errNoPackage = errors.New("integrationapi: no such package")

// errForeignKey is a delete refused by a constraint.
var errForeignKey = errors.New("integrationapi: host is referenced")

const (
	// sqlListHosts lists hosts, optionally only those in any of the groups named ($2) or
	// identified ($3). Groups are aggregated per host so one row is one host.
	sqlListHosts = `
SELECT h.id, h.friendly_name, h.hostname, h.ip, h.os_type, h.os_version,
       GREATEST(h.last_checkin_at, h.last_report_at), h.status, h.needs_reboot,
       h.outdated_packages, h.security_updates, h.total_packages,
       COALESCE((SELECT jsonb_agg(jsonb_build_object('id', g.id, 'name', g.name) ORDER BY g.name)
                 FROM host_group_memberships m JOIN host_groups g ON g.id = m.host_group_id
                 WHERE m.host_id = h.id), '[]'::jsonb)
FROM hosts h
WHERE NOT $1::boolean OR EXISTS (
    SELECT 1 FROM host_group_memberships m JOIN host_groups g ON g.id = m.host_group_id
    WHERE m.host_id = h.id AND (g.name = ANY($2::text[]) OR g.id = ANY($3::uuid[])))
ORDER BY lower(h.friendly_name), h.id`

	// sqlHostDetail reads everything the single-host endpoints show.
	sqlHostDetail = `
SELECT h.id, h.machine_id, h.friendly_name, h.hostname, h.ip, h.os_type, h.os_version, h.agent_version,
       h.architecture, h.kernel_version, h.installed_kernel_version, h.selinux_status, h.system_uptime,
       h.cpu_model, h.cpu_cores, h.ram_installed, h.swap_size, h.load_average, h.disk_details,
       h.gateway_ip, h.dns_servers, h.network_interfaces, h.needs_reboot, h.reboot_reason,
       h.total_packages, h.outdated_packages, h.security_updates, h.total_repos, h.notes,
       h.docker_enabled, h.last_full_report_at,
       (SELECT s.status FROM host_integration_status s WHERE s.host_id = h.id AND s.integration = 'docker')
FROM hosts h WHERE h.id = $1`

	sqlHostGroups = `
SELECT g.id, g.name FROM host_group_memberships m JOIN host_groups g ON g.id = m.host_group_id
WHERE m.host_id = $1 ORDER BY g.name`

	// sqlHostPackages lists a host's packages: security updates first, then other
	// updates, then by name. A package counts as checked at the host's last full report
	// (every package was reported then) or when its row last changed, whichever is later.
	sqlHostPackages = `
SELECT p.id, p.name, p.description, p.category, hp.current_version, hp.available_version,
       hp.needs_update, hp.is_security_update, hp.source_repository,
       GREATEST(hp.updated_at, COALESCE(h.last_full_report_at, hp.updated_at))
FROM host_packages hp
JOIN packages p ON p.id = hp.package_id
JOIN hosts h ON h.id = hp.host_id
WHERE hp.host_id = $1 AND (NOT $2::boolean OR hp.needs_update)
ORDER BY hp.is_security_update DESC, hp.needs_update DESC, p.name`

	// sqlPackageReports lists accepted reports (full and partial; check-ins are not
	// package reports), newest first.
	sqlPackageReports = `
SELECT id, status, created_at, report_type, total_packages, packages_count, security_count,
       payload_size_kb, execution_time, error_message
FROM update_history
WHERE host_id = $1 AND report_type <> 'ping'
ORDER BY created_at DESC, id
LIMIT $2`

	// River job states mapped onto the documented queue counters. Jobs name their host
	// with a host_id argument.
	sqlQueueStatus = `
SELECT count(*) FILTER (WHERE state IN ('available', 'pending')),
       count(*) FILTER (WHERE state = 'running'),
       count(*) FILTER (WHERE state IN ('scheduled', 'retryable')),
       count(*) FILTER (WHERE state = 'discarded')
FROM river_job WHERE args->>'host_id' = $1`

	sqlJobHistory = `
SELECT id, kind, state::text, attempt, created_at, finalized_at,
       errors[array_upper(errors, 1)]->>'error', metadata->'output'
FROM river_job WHERE args->>'host_id' = $1
ORDER BY id DESC LIMIT $2`

	sqlDeleteHost = `DELETE FROM hosts WHERE id = $1 RETURNING id, friendly_name, hostname`

	// sqlPackages filters and counts the fleet's packages; it is wrapped for the page and
	// for the total.
	sqlPackages = `
SELECT p.id, p.name, p.description, p.category, p.latest_version,
       count(*) AS hosts_count,
       count(*) FILTER (WHERE hp.needs_update) AS outdated,
       count(*) FILTER (WHERE hp.needs_update AND hp.is_security_update) AS security
FROM packages p JOIN host_packages hp ON hp.package_id = p.id
WHERE ($1::text = '' OR p.name ILIKE '%' || $1 || '%' ESCAPE '\')
  AND ($2::uuid IS NULL OR p.id = $2)
GROUP BY p.id
HAVING (NOT $3::boolean OR bool_or(hp.needs_update))
   AND (NOT $4::boolean OR bool_or(hp.needs_update AND hp.is_security_update))`

	sqlPackagePage  = `SELECT * FROM (` + sqlPackages + `) f ORDER BY name, id LIMIT $5 OFFSET $6`
	sqlPackageCount = `SELECT count(*) FROM (` + sqlPackages + `) f`
	sqlPackageRow   = `SELECT id, name, description, category, latest_version FROM packages WHERE id = $1`

	sqlPackageHosts = `
SELECT h.id, h.friendly_name, h.hostname, h.ip, hp.current_version, hp.available_version,
       hp.needs_update, hp.is_security_update,
       GREATEST(hp.updated_at, COALESCE(h.last_full_report_at, hp.updated_at))
FROM host_packages hp JOIN hosts h ON h.id = hp.host_id
WHERE hp.package_id = $1 AND (NOT $2::boolean OR hp.needs_update)
ORDER BY hp.is_security_update DESC, hp.needs_update DESC, lower(h.friendly_name), h.id`

	sqlHostGroupList = `
SELECT g.id, g.name, g.description, g.color,
       (SELECT count(*) FROM host_group_memberships m WHERE m.host_group_id = g.id),
       g.created_at, g.updated_at
FROM host_groups g ORDER BY lower(g.name), g.id`

	// sqlHomepageStats computes the GetHomepage counters in one statement so they agree.
	sqlHomepageStats = `
WITH h AS (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE outdated_packages > 0) AS needing,
           count(*) FILTER (WHERE security_updates > 0) AS with_security,
           COALESCE(sum(outdated_packages), 0) AS outdated,
           COALESCE(sum(security_updates), 0) AS security
    FROM hosts WHERE status = 'active')
SELECT h.total, h.needing, h.with_security, h.outdated, h.security,
       (SELECT count(*) FROM repositories r WHERE r.is_active
            AND EXISTS (SELECT 1 FROM host_repositories hr WHERE hr.repository_id = r.id)),
       (SELECT count(*) FROM update_history u WHERE u.status = 'success' AND u.report_type <> 'ping'
            AND u.created_at >= $1),
       (SELECT COALESCE(jsonb_agg(jsonb_build_object('name', name, 'count', n) ORDER BY n DESC, name), '[]'::jsonb)
        FROM (SELECT COALESCE(NULLIF(btrim(os_type), ''), 'Unknown') AS name, count(*) AS n
              FROM hosts WHERE status = 'active' GROUP BY 1) d)
FROM h`
)

// groupFilter is a parsed hostgroup parameter: names and UUIDs, any of which matches.
type groupFilter struct {
	given []string
	names []string
	ids   []uuid.UUID
}

// parseGroupFilter splits "Production, 550e8400-…" on commas. Every entry is tried as a
// name; entries that are UUIDs are also tried as ids.
func parseGroupFilter(s string) groupFilter {
	var f groupFilter
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		f.given = append(f.given, part)
		f.names = append(f.names, part)
		if id, err := uuid.Parse(part); err == nil {
			f.ids = append(f.ids, id)
		}
	}
	return f
}

func (s *Service) listHosts(ctx context.Context, f groupFilter, withStats bool) ([]openapi.IntegrationHost, error) {
	names, ids := f.names, f.ids
	if names == nil {
		names = []string{}
	}
	if ids == nil {
		ids = []uuid.UUID{}
	}
	rows, err := s.db.Pool.Query(ctx, sqlListHosts, len(f.given) > 0, names, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	hosts := []openapi.IntegrationHost{}
	for rows.Next() {
		var (
			h                         openapi.IntegrationHost
			osType, osVersion         *string
			last                      *time.Time
			status                    string
			reboot                    bool
			outdated, security, total int
			groups                    []byte
		)
		if err := rows.Scan(&h.Id, &h.FriendlyName, &h.Hostname, &h.Ip, &osType, &osVersion, &last, &status,
			&reboot, &outdated, &security, &total, &groups); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(groups, &h.HostGroups); err != nil {
			return nil, err
		}
		if withStats {
			st := openapi.IntegrationHostStatus(status)
			h.OsType, h.OsVersion, h.LastUpdate, h.Status = osType, osVersion, last, &st
			h.NeedsReboot, h.UpdatesCount, h.SecurityUpdatesCount, h.TotalPackages = &reboot, &outdated, &security, &total
		}
		hosts = append(hosts, h)
	}
	return hosts, rows.Err()
}

// hostDetail is one host as the single-host endpoints need it.
type hostDetail struct {
	ID                                    uuid.UUID
	MachineID                             *string
	FriendlyName                          string
	Hostname, IP, OSType, OSVersion       *string
	AgentVersion, Architecture            *string
	KernelVersion, InstalledKernelVersion *string
	SELinuxStatus, SystemUptime, CPUModel *string
	CPUCores                              *int
	RAMGB, SwapGB                         *float64
	LoadAverage                           []float64
	DiskDetails, NetworkInterfaces        []byte
	GatewayIP                             *string
	DNSServers                            []string
	NeedsReboot                           bool
	RebootReason                          *string
	TotalPackages, OutdatedPackages       int
	SecurityUpdates, TotalRepos           int
	Notes                                 string
	DockerEnabled                         bool
	LastFullReport                        *time.Time
	DockerStatus                          *string
}

func (s *Service) hostDetail(ctx context.Context, id uuid.UUID) (hostDetail, error) {
	var h hostDetail
	err := s.db.Pool.QueryRow(ctx, sqlHostDetail, id).Scan(&h.ID, &h.MachineID, &h.FriendlyName, &h.Hostname,
		&h.IP, &h.OSType, &h.OSVersion, &h.AgentVersion, &h.Architecture, &h.KernelVersion,
		&h.InstalledKernelVersion, &h.SELinuxStatus, &h.SystemUptime, &h.CPUModel, &h.CPUCores, &h.RAMGB,
		&h.SwapGB, &h.LoadAverage, &h.DiskDetails, &h.GatewayIP, &h.DNSServers, &h.NetworkInterfaces,
		&h.NeedsReboot, &h.RebootReason, &h.TotalPackages, &h.OutdatedPackages, &h.SecurityUpdates,
		&h.TotalRepos, &h.Notes, &h.DockerEnabled, &h.LastFullReport, &h.DockerStatus)
	if errors.Is(err, pgx.ErrNoRows) {
		return hostDetail{}, errNoHost
	}
	return h, err
}

func (s *Service) hostGroups(ctx context.Context, id uuid.UUID) ([]openapi.IntegrationGroupRef, error) {
	rows, err := s.db.Pool.Query(ctx, sqlHostGroups, id)
	if err != nil {
		return nil, err
	}
	groups, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (openapi.IntegrationGroupRef, error) {
		var g openapi.IntegrationGroupRef
		return g, r.Scan(&g.Id, &g.Name)
	})
	if groups == nil {
		groups = []openapi.IntegrationGroupRef{}
	}
	return groups, err
}

// hostPackageID names one host/package pair. host_packages has a composite key; a
// name-based UUID of the pair gives clients the documented per-record id, stable across
// reports.
func hostPackageID(host, pkg uuid.UUID) string {
	return uuid.NewSHA1(host, pkg[:]).String()
}

func (s *Service) hostPackages(ctx context.Context, host uuid.UUID, updatesOnly bool) ([]openapi.IntegrationHostPackage, error) {
	rows, err := s.db.Pool.Query(ctx, sqlHostPackages, host, updatesOnly)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (openapi.IntegrationHostPackage, error) {
		var (
			p         openapi.IntegrationHostPackage
			pkgID     uuid.UUID
			available string
			source    string
		)
		if err := r.Scan(&pkgID, &p.Name, &p.Description, &p.Category, &p.CurrentVersion, &available,
			&p.NeedsUpdate, &p.IsSecurityUpdate, &source, &p.LastChecked); err != nil {
			return p, err
		}
		p.Id = hostPackageID(host, pkgID)
		p.PackageId = &pkgID
		p.SourceRepository = &source
		if available != "" {
			p.AvailableVersion = &available
		}
		return p, nil
	})
	if out == nil {
		out = []openapi.IntegrationHostPackage{}
	}
	return out, err
}

// report is one row of the package report history.
type report = struct {
	Date                 time.Time                                           `json:"date"`
	ErrorMessage         *string                                             `json:"error_message"`
	ExecutionTimeSeconds *float32                                            `json:"execution_time_seconds"`
	Id                   uuid.UUID                                           `json:"id"`
	OutdatedPackages     int                                                 `json:"outdated_packages"`
	PayloadKb            float32                                             `json:"payload_kb"`
	ReportType           *openapi.IntegrationPackageReportsReportsReportType `json:"report_type,omitempty"`
	SecurityUpdates      int                                                 `json:"security_updates"`
	Status               openapi.IntegrationPackageReportsReportsStatus      `json:"status"`
	TotalPackages        int                                                 `json:"total_packages"`
}

func (s *Service) packageReports(ctx context.Context, host uuid.UUID, limit int) ([]report, error) {
	rows, err := s.db.Pool.Query(ctx, sqlPackageReports, host, limit)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (report, error) {
		var (
			rep     report
			status  string
			typ     string
			payload float64
			exec    *float64
		)
		if err := r.Scan(&rep.Id, &status, &rep.Date, &typ, &rep.TotalPackages, &rep.OutdatedPackages,
			&rep.SecurityUpdates, &payload, &exec, &rep.ErrorMessage); err != nil {
			return rep, err
		}
		rep.Status = openapi.IntegrationPackageReportsReportsStatus(status)
		t := openapi.IntegrationPackageReportsReportsReportType(typ)
		rep.ReportType = &t
		rep.PayloadKb = float32(math.Round(payload*100) / 100)
		if exec != nil {
			e := float32(math.Round(*exec*1000) / 1000)
			rep.ExecutionTimeSeconds = &e
		}
		return rep, nil
	})
	if out == nil {
		out = []report{}
	}
	return out, err
}

// job is one row of the agent queue's history.
type job = struct {
	Attempt      int                                           `json:"attempt"`
	CompletedAt  *time.Time                                    `json:"completed_at"`
	CreatedAt    time.Time                                     `json:"created_at"`
	ErrorMessage *string                                       `json:"error_message"`
	Id           string                                        `json:"id"`
	JobId        string                                        `json:"job_id"`
	JobName      string                                        `json:"job_name"`
	Output       interface{}                                   `json:"output"`
	Status       openapi.IntegrationAgentQueueJobHistoryStatus `json:"status"`
}

// jobStatus maps a River job state onto the documented job statuses.
func jobStatus(state string) openapi.IntegrationAgentQueueJobHistoryStatus {
	switch state {
	case "available", "pending":
		return "waiting"
	case "running":
		return "active"
	case "scheduled", "retryable":
		return "delayed"
	case "completed":
		return "completed"
	case "cancelled":
		return "cancelled"
	default: // discarded
		return "failed"
	}
}

func (s *Service) agentQueue(ctx context.Context, host uuid.UUID, limit int) (openapi.IntegrationAgentQueue, error) {
	q := openapi.IntegrationAgentQueue{HostId: host}
	hid := host.String()
	if err := s.db.Pool.QueryRow(ctx, sqlQueueStatus, hid).Scan(&q.QueueStatus.Waiting, &q.QueueStatus.Active,
		&q.QueueStatus.Delayed, &q.QueueStatus.Failed); err != nil {
		return q, err
	}
	rows, err := s.db.Pool.Query(ctx, sqlJobHistory, hid, limit)
	if err != nil {
		return q, err
	}
	q.JobHistory, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (job, error) {
		var (
			j      job
			id     int64
			state  string
			output []byte
		)
		if err := r.Scan(&id, &j.JobName, &state, &j.Attempt, &j.CreatedAt, &j.CompletedAt, &j.ErrorMessage, &output); err != nil {
			return j, err
		}
		j.Id = fmt.Sprint(id)
		j.JobId = j.Id
		j.Status = jobStatus(state)
		if len(output) > 0 && string(output) != "null" {
			j.Output = json.RawMessage(output)
		}
		return j, nil
	})
	if q.JobHistory == nil {
		q.JobHistory = []job{}
	}
	q.TotalJobs = len(q.JobHistory)
	return q, err
}

func (s *Service) deleteHost(ctx context.Context, id uuid.UUID) (openapi.IntegrationHostRef, error) {
	var ref openapi.IntegrationHostRef
	err := s.db.Pool.QueryRow(ctx, sqlDeleteHost, id).Scan(&ref.Id, &ref.FriendlyName, &ref.Hostname)
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return ref, errNoHost
	case errors.As(err, &pgErr) && pgErr.Code == "23503":
		return ref, errForeignKey
	}
	return ref, err
}

// packageQuery is a filter of the fleet's packages.
type packageQuery struct {
	search                    string
	id                        *uuid.UUID
	updatesOnly, securityOnly bool
	limit, offset             int
}

// likeEscape makes s match literally inside ILIKE '%…%'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func scanPackage(r pgx.CollectableRow) (openapi.IntegrationPackage, error) {
	var p openapi.IntegrationPackage
	return p, r.Scan(&p.Id, &p.Name, &p.Description, &p.Category, &p.LatestVersion, &p.HostsCount,
		&p.OutdatedHostsCount, &p.SecurityHostsCount)
}

func (s *Service) packages(ctx context.Context, q packageQuery) ([]openapi.IntegrationPackage, int, error) {
	args := []any{likeEscape(q.search), q.id, q.updatesOnly, q.securityOnly}
	var total int
	if err := s.db.Pool.QueryRow(ctx, sqlPackageCount, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Pool.Query(ctx, sqlPackagePage, append(args, q.limit, q.offset)...)
	if err != nil {
		return nil, 0, err
	}
	out, err := pgx.CollectRows(rows, scanPackage)
	if out == nil {
		out = []openapi.IntegrationPackage{}
	}
	return out, total, err
}

// packageWithCounts returns one package with its host counts (zero when no host has it).
func (s *Service) packageWithCounts(ctx context.Context, id uuid.UUID) (openapi.IntegrationPackage, error) {
	list, _, err := s.packages(ctx, packageQuery{id: &id, limit: 1})
	if err != nil {
		return openapi.IntegrationPackage{}, err
	}
	if len(list) == 1 {
		return list[0], nil
	}
	var p openapi.IntegrationPackage
	err = s.db.Pool.QueryRow(ctx, sqlPackageRow, id).Scan(&p.Id, &p.Name, &p.Description, &p.Category, &p.LatestVersion)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, errNoPackage
	}
	return p, err
}

// packageHost is one host of a package.
type packageHost = struct {
	AvailableVersion *string   `json:"available_version"`
	CurrentVersion   string    `json:"current_version"`
	FriendlyName     string    `json:"friendly_name"`
	Hostname         *string   `json:"hostname"`
	Id               uuid.UUID `json:"id"`
	Ip               *string   `json:"ip"`
	IsSecurityUpdate bool      `json:"is_security_update"`
	LastChecked      time.Time `json:"last_checked"`
	NeedsUpdate      bool      `json:"needs_update"`
}

func (s *Service) packageHosts(ctx context.Context, id uuid.UUID, updatesOnly bool) ([]packageHost, error) {
	rows, err := s.db.Pool.Query(ctx, sqlPackageHosts, id, updatesOnly)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (packageHost, error) {
		var (
			h         packageHost
			available string
		)
		err := r.Scan(&h.Id, &h.FriendlyName, &h.Hostname, &h.Ip, &h.CurrentVersion, &available,
			&h.NeedsUpdate, &h.IsSecurityUpdate, &h.LastChecked)
		if available != "" {
			h.AvailableVersion = &available
		}
		return h, err
	})
	if out == nil {
		out = []packageHost{}
	}
	return out, err
}

// hostGroupRow is one host group of the list.
type hostGroupRow = struct {
	Color       string    `json:"color"`
	CreatedAt   time.Time `json:"created_at"`
	Description string    `json:"description"`
	HostsCount  int       `json:"hosts_count"`
	Id          uuid.UUID `json:"id"`
	Name        string    `json:"name"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func (s *Service) hostGroupList(ctx context.Context) ([]hostGroupRow, error) {
	rows, err := s.db.Pool.Query(ctx, sqlHostGroupList)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (hostGroupRow, error) {
		var g hostGroupRow
		return g, r.Scan(&g.Id, &g.Name, &g.Description, &g.Color, &g.HostsCount, &g.CreatedAt, &g.UpdatedAt)
	})
	if out == nil {
		out = []hostGroupRow{}
	}
	return out, err
}

// HomepageStats computes the GetHomepage widget statistics.
func (s *Service) HomepageStats(ctx context.Context) (openapi.GetHomepageStats, error) {
	now := s.cfg.Now()
	st := openapi.GetHomepageStats{LastUpdated: now.UTC()}
	var dist []byte
	err := s.db.Pool.QueryRow(ctx, sqlHomepageStats, now.Add(-24*time.Hour)).Scan(&st.TotalHosts,
		&st.HostsNeedingUpdates, &st.HostsWithSecurityUpdates, &st.TotalOutdatedPackages, &st.SecurityUpdates,
		&st.TotalRepos, &st.RecentUpdates24h, &dist)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(dist, &st.OsDistribution); err != nil {
		return st, err
	}
	st.UpToDateHosts = st.TotalHosts - st.HostsNeedingUpdates
	top := func(i int) (*string, int) {
		if i >= len(st.OsDistribution) {
			return nil, 0
		}
		name := st.OsDistribution[i].Name
		return &name, st.OsDistribution[i].Count
	}
	st.TopOs1Name, st.TopOs1Count = top(0)
	st.TopOs2Name, st.TopOs2Count = top(1)
	st.TopOs3Name, st.TopOs3Count = top(2)
	return st, nil
}
