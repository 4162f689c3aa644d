package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/patchmon-go/patchmon/openapi"
)

// Read models of the dashboard's host pages. The list is answered from the hosts row
// alone (its package counters are kept by ingest) plus the page's group memberships;
// the connected flag comes from agent_presence, which package agenthub keeps.

// HostFilter selects and orders a page of the host list.
type HostFilter struct {
	// Search matches friendly name, hostname and IP address, case-insensitively.
	Search string
	// GroupID keeps hosts in that group; Ungrouped keeps hosts in none.
	GroupID   *uuid.UUID
	Ungrouped bool
	// Status is pending, active or offline; empty for any.
	Status string
	// OSType is an exact os_type; empty for any.
	OSType          string
	NeedsUpdates    bool
	SecurityUpdates bool
	RebootRequired  bool
	// Sort is one of name, lastCheckin, updates, security, os, status (default name).
	Sort string
	Desc bool
	// Page counts from 1; PageSize is at most 500. Defaults: 1 and 50.
	Page, PageSize int
}

// HostPage is one page of hosts and how many match in all.
type HostPage struct {
	Hosts []openapi.HostSummary
	Total int
}

const sqlListHostsSelect = `
SELECT h.id, h.friendly_name, h.hostname, h.ip, h.os_type, h.os_version, h.architecture,
       h.agent_version, h.status,
       EXISTS (SELECT 1 FROM agent_presence p WHERE p.host_id = h.id AND p.status = 'online'),
       h.last_checkin_at, h.last_report_at, h.total_packages, h.outdated_packages, h.security_updates,
       h.needs_reboot, h.auto_update, h.created_at
FROM hosts h`

// sortColumns maps a sort key to its ORDER BY expression; every order ends with the
// name and id so pages are stable.
var sortColumns = map[string]string{
	"name":        "lower(h.friendly_name) %[1]s",
	"lastCheckin": "h.last_checkin_at %[1]s NULLS LAST",
	"updates":     "h.outdated_packages %[1]s",
	"security":    "h.security_updates %[1]s",
	"os":          "h.os_type %[1]s NULLS LAST, h.os_version %[1]s NULLS LAST",
	"status":      "h.status %[1]s",
}

// likePattern escapes s for ILIKE and wraps it in wildcards.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// normalize fills the filter's defaults and checks its ranges.
func (f *HostFilter) normalize() error {
	if f.Page <= 0 {
		f.Page = 1
	}
	if f.PageSize <= 0 {
		f.PageSize = 50
	}
	if f.PageSize > 500 {
		return fieldError("pageSize", "pageSize must be between 1 and 500")
	}
	if f.Sort == "" {
		f.Sort = "name"
	}
	if _, ok := sortColumns[f.Sort]; !ok {
		return fieldError("sort", "sort must be one of name, lastCheckin, updates, security, os, status")
	}
	switch f.Status {
	case "", "pending", "active", "offline":
	default:
		return fieldError("status", "status must be pending, active or offline")
	}
	f.Search = strings.TrimSpace(f.Search)
	return nil
}

// ListHosts returns one page of the host list.
func (s *Service) ListHosts(ctx context.Context, f HostFilter) (HostPage, error) {
	if err := f.normalize(); err != nil {
		return HostPage{}, err
	}
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Search != "" {
		p := arg(likePattern(f.Search))
		where = append(where, fmt.Sprintf("(h.friendly_name ILIKE %[1]s OR h.hostname ILIKE %[1]s OR h.ip ILIKE %[1]s)", p))
	}
	if f.GroupID != nil {
		where = append(where, "EXISTS (SELECT 1 FROM host_group_memberships m WHERE m.host_id = h.id AND m.host_group_id = "+arg(*f.GroupID)+")")
	}
	if f.Ungrouped {
		where = append(where, "NOT EXISTS (SELECT 1 FROM host_group_memberships m WHERE m.host_id = h.id)")
	}
	if f.Status != "" {
		where = append(where, "h.status = "+arg(f.Status))
	}
	if f.OSType != "" {
		where = append(where, "h.os_type = "+arg(f.OSType))
	}
	if f.NeedsUpdates {
		where = append(where, "h.outdated_packages > 0")
	}
	if f.SecurityUpdates {
		where = append(where, "h.security_updates > 0")
	}
	if f.RebootRequired {
		where = append(where, "h.needs_reboot")
	}
	dir := "ASC"
	if f.Desc {
		dir = "DESC"
	}
	var q strings.Builder
	q.WriteString(sqlListHostsSelect)
	if len(where) > 0 {
		q.WriteString("\nWHERE " + strings.Join(where, " AND "))
	}
	q.WriteString("\nORDER BY " + fmt.Sprintf(sortColumns[f.Sort], dir))
	if f.Sort != "name" {
		q.WriteString(", lower(h.friendly_name)")
	}
	q.WriteString(", h.id")
	q.WriteString("\nLIMIT " + arg(f.PageSize) + " OFFSET " + arg((f.Page-1)*f.PageSize))

	// The page and the count go in one round trip. Counting separately rather than with
	// count(*) OVER () lets the page stop at LIMIT (an index walk for the name order)
	// instead of materialising every matching row.
	cq := "SELECT count(*) FROM hosts h"
	if len(where) > 0 {
		cq += " WHERE " + strings.Join(where, " AND ")
	}
	var page HostPage
	batch := &pgx.Batch{}
	batch.Queue(q.String(), args...).Query(func(rows pgx.Rows) error {
		var err error
		page.Hosts, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (openapi.HostSummary, error) {
			var h openapi.HostSummary
			var status string
			err := r.Scan(&h.Id, &h.FriendlyName, &h.Hostname, &h.Ip, &h.OsType, &h.OsVersion, &h.Architecture,
				&h.AgentVersion, &status, &h.Connected, &h.LastCheckinAt, &h.LastReportAt, &h.TotalPackages,
				&h.OutdatedPackages, &h.SecurityUpdates, &h.NeedsReboot, &h.AutoUpdate, &h.CreatedAt)
			h.Status = openapi.HostSummaryStatus(status)
			return h, err
		})
		return err
	})
	batch.Queue(cq, args[:len(args)-2]...).QueryRow(func(r pgx.Row) error { return r.Scan(&page.Total) })
	if err := s.db.Pool.SendBatch(ctx, batch).Close(); err != nil {
		return HostPage{}, err
	}
	if page.Hosts == nil {
		page.Hosts = []openapi.HostSummary{}
	}
	ids := make([]uuid.UUID, len(page.Hosts))
	for i, h := range page.Hosts {
		ids[i] = h.Id
	}
	groups, err := s.groupsOf(ctx, s.db.Pool, ids)
	if err != nil {
		return HostPage{}, err
	}
	for i := range page.Hosts {
		page.Hosts[i].Groups = groups[page.Hosts[i].Id]
		if page.Hosts[i].Groups == nil {
			page.Hosts[i].Groups = []openapi.HostGroupRef{}
		}
	}
	return page, nil
}

const sqlGroupsOfHosts = `
SELECT m.host_id, g.id, g.name, g.color
FROM host_group_memberships m JOIN host_groups g ON g.id = m.host_group_id
WHERE m.host_id = ANY($1)
ORDER BY g.name`

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Service) groupsOf(ctx context.Context, q querier, ids []uuid.UUID) (map[uuid.UUID][]openapi.HostGroupRef, error) {
	out := make(map[uuid.UUID][]openapi.HostGroupRef, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, sqlGroupsOfHosts, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			host uuid.UUID
			g    openapi.HostGroupRef
		)
		if err := rows.Scan(&host, &g.Id, &g.Name, &g.Color); err != nil {
			return nil, err
		}
		out[host] = append(out[host], g)
	}
	return out, rows.Err()
}

// HostFacets are what the host list can be filtered by, with host counts.
type HostFacets struct {
	Groups    []openapi.HostGroupFacet
	OSTypes   []openapi.HostOSFacet
	Ungrouped int
}

const (
	sqlGroupFacets = `
SELECT g.id, g.name, g.color, count(m.host_id)
FROM host_groups g LEFT JOIN host_group_memberships m ON m.host_group_id = g.id
GROUP BY g.id ORDER BY g.name`
	sqlOSFacets = `
SELECT os_type, count(*) FROM hosts WHERE os_type IS NOT NULL AND os_type <> ''
GROUP BY os_type ORDER BY os_type`
	sqlUngrouped = `
SELECT count(*) FROM hosts h WHERE NOT EXISTS (SELECT 1 FROM host_group_memberships m WHERE m.host_id = h.id)`
)

// Facets returns every host group and operating system with its number of hosts.
func (s *Service) Facets(ctx context.Context) (HostFacets, error) {
	var out HostFacets
	rows, err := s.db.Pool.Query(ctx, sqlGroupFacets)
	if err != nil {
		return out, err
	}
	out.Groups, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (openapi.HostGroupFacet, error) {
		var g openapi.HostGroupFacet
		return g, r.Scan(&g.Id, &g.Name, &g.Color, &g.Hosts)
	})
	if err != nil {
		return out, err
	}
	rows, err = s.db.Pool.Query(ctx, sqlOSFacets)
	if err != nil {
		return out, err
	}
	out.OSTypes, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (openapi.HostOSFacet, error) {
		var o openapi.HostOSFacet
		return o, r.Scan(&o.OsType, &o.Hosts)
	})
	if err != nil {
		return out, err
	}
	err = s.db.Pool.QueryRow(ctx, sqlUngrouped).Scan(&out.Ungrouped)
	return out, err
}

const sqlHostDetail = `
SELECT h.id, h.friendly_name, h.hostname, h.ip, h.os_type, h.os_version, h.architecture,
       h.agent_version, h.status, h.last_checkin_at, h.last_report_at, h.total_packages,
       h.outdated_packages, h.security_updates, h.needs_reboot, h.auto_update, h.created_at,
       h.api_id, h.notes, h.host_down_alerts,
       COALESCE(h.update_interval, (SELECT agent_update_interval FROM settings WHERE id = 1)),
       h.update_interval IS NOT NULL, h.machine_id, h.kernel_version,
       h.installed_kernel_version, h.selinux_status, h.system_uptime, h.boot_time,
       COALESCE(h.load_average, '{}'), h.cpu_model, h.cpu_cores, h.ram_installed, h.swap_size,
       COALESCE(h.disk_details, '[]'), h.gateway_ip, COALESCE(h.dns_servers, '{}'),
       COALESCE(h.network_interfaces, '[]'), h.reboot_reason, h.package_manager, h.total_repos,
       h.last_full_report_at, h.updated_at, h.docker_enabled, h.compliance_enabled, h.compliance_mode,
       COALESCE(p.status = 'online', false), COALESCE(p.secure, false), p.connected_at,
       p.disconnected_at, NULLIF(p.disconnect_reason, '')
FROM hosts h LEFT JOIN agent_presence p ON p.host_id = h.id
WHERE h.id = $1`

const sqlIntegrationStatuses = `
SELECT integration, enabled, status, message, updated_at FROM host_integration_status
WHERE host_id = $1 ORDER BY integration`

// Host returns everything known about one host, or ErrHostNotFound.
func (s *Service) Host(ctx context.Context, id uuid.UUID) (openapi.HostDetail, error) {
	var (
		h                     openapi.HostDetail
		status, mode          string
		disks, ifaces         []byte
		connectedAt, discAt   *time.Time
		discReason            *string
		docker, compliance    bool
		connected, secureConn bool
	)
	err := s.db.Pool.QueryRow(ctx, sqlHostDetail, id).Scan(&h.Id, &h.FriendlyName, &h.Hostname, &h.Ip,
		&h.OsType, &h.OsVersion, &h.Architecture, &h.AgentVersion, &status, &h.LastCheckinAt, &h.LastReportAt,
		&h.TotalPackages, &h.OutdatedPackages, &h.SecurityUpdates, &h.NeedsReboot, &h.AutoUpdate, &h.CreatedAt,
		&h.ApiId, &h.Notes, &h.HostDownAlerts, &h.UpdateInterval, &h.UpdateIntervalOverride, &h.MachineId, &h.KernelVersion, &h.InstalledKernelVersion,
		&h.SelinuxStatus, &h.SystemUptime, &h.BootTime, &h.LoadAverage, &h.CpuModel, &h.CpuCores,
		&h.RamInstalled, &h.SwapSize, &disks, &h.GatewayIp, &h.DnsServers, &ifaces, &h.RebootReason,
		&h.PackageManager, &h.TotalRepos, &h.LastFullReportAt, &h.UpdatedAt, &docker, &compliance, &mode,
		&connected, &secureConn, &connectedAt, &discAt, &discReason)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, ErrHostNotFound
	}
	if err != nil {
		return h, err
	}
	h.Status = openapi.HostDetailStatus(status)
	h.Connected = connected
	h.Presence = openapi.HostPresence{Connected: connected, Secure: secureConn, ConnectedAt: connectedAt}
	if !connected {
		h.Presence.DisconnectedAt, h.Presence.DisconnectReason = discAt, discReason
	}
	h.DiskDetails = []openapi.HostDisk{}
	if err := json.Unmarshal(disks, &h.DiskDetails); err != nil {
		s.log.WarnContext(ctx, "stored disk details do not decode", "host_id", id, "err", err)
	}
	h.NetworkInterfaces = []map[string]any{}
	if err := json.Unmarshal(ifaces, &h.NetworkInterfaces); err != nil {
		s.log.WarnContext(ctx, "stored network interfaces do not decode", "host_id", id, "err", err)
	}
	groups, err := s.groupsOf(ctx, s.db.Pool, []uuid.UUID{id})
	if err != nil {
		return h, err
	}
	h.Groups = groups[id]
	if h.Groups == nil {
		h.Groups = []openapi.HostGroupRef{}
	}
	h.Integrations, err = s.integrationState(ctx, id, docker, compliance, mode)
	return h, err
}

func (s *Service) integrationState(ctx context.Context, id uuid.UUID, docker, compliance bool, mode string) (openapi.HostIntegrationsState, error) {
	st := openapi.HostIntegrationsState{Docker: docker, Compliance: compliance,
		ComplianceMode: openapi.HostIntegrationsStateComplianceMode(mode)}
	rows, err := s.db.Pool.Query(ctx, sqlIntegrationStatuses, id)
	if err != nil {
		return st, err
	}
	st.Statuses, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (openapi.HostIntegrationStatus, error) {
		var is openapi.HostIntegrationStatus
		var status string
		err := r.Scan(&is.Integration, &is.Enabled, &status, &is.Message, &is.UpdatedAt)
		is.Status = openapi.HostIntegrationStatusStatus(status)
		return is, err
	})
	if st.Statuses == nil {
		st.Statuses = []openapi.HostIntegrationStatus{}
	}
	return st, err
}

// PackageFilter selects a page of one host's packages.
type PackageFilter struct {
	Search       string
	UpdatesOnly  bool
	SecurityOnly bool
	// Page counts from 1; PageSize is at most 500. Defaults: 1 and 50.
	Page, PageSize int
}

const sqlHostExists = `SELECT EXISTS (SELECT 1 FROM hosts WHERE id = $1)`

func (s *Service) requireHost(ctx context.Context, id uuid.UUID) error {
	var ok bool
	if err := s.db.Pool.QueryRow(ctx, sqlHostExists, id).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return ErrHostNotFound
	}
	return nil
}

const sqlHostPackagePage = `
SELECT p.id, p.name, p.description, p.category, hp.current_version, hp.available_version,
       hp.needs_update, hp.is_security_update, hp.source_repository, hp.updated_at, count(*) OVER ()
FROM host_packages hp JOIN packages p ON p.id = hp.package_id
WHERE hp.host_id = $1
  AND ($2 = '' OR p.name ILIKE $2 OR p.description ILIKE $2)
  AND (NOT $3 OR hp.needs_update)
  AND (NOT $4 OR hp.is_security_update)
ORDER BY hp.is_security_update DESC, hp.needs_update DESC, p.name
LIMIT $5 OFFSET $6`

const sqlCountHostPackages = `
SELECT count(*) FROM host_packages hp JOIN packages p ON p.id = hp.package_id
WHERE hp.host_id = $1
  AND ($2 = '' OR p.name ILIKE $2 OR p.description ILIKE $2)
  AND (NOT $3 OR hp.needs_update)
  AND (NOT $4 OR hp.is_security_update)`

// HostPackages returns a page of a host's packages: security updates first, then other
// updates, then the rest, each by name.
func (s *Service) HostPackages(ctx context.Context, id uuid.UUID, f PackageFilter) ([]openapi.HostPackage, int, error) {
	if f.Page <= 0 {
		f.Page = 1
	}
	if f.PageSize <= 0 {
		f.PageSize = 50
	}
	if f.PageSize > 500 {
		return nil, 0, fieldError("pageSize", "pageSize must be between 1 and 500")
	}
	if err := s.requireHost(ctx, id); err != nil {
		return nil, 0, err
	}
	pattern := ""
	if q := strings.TrimSpace(f.Search); q != "" {
		pattern = likePattern(q)
	}
	total := 0
	rows, err := s.db.Pool.Query(ctx, sqlHostPackagePage, id, pattern, f.UpdatesOnly, f.SecurityOnly, f.PageSize, (f.Page-1)*f.PageSize)
	if err != nil {
		return nil, 0, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (openapi.HostPackage, error) {
		var p openapi.HostPackage
		return p, r.Scan(&p.Id, &p.Name, &p.Description, &p.Category, &p.CurrentVersion, &p.AvailableVersion,
			&p.NeedsUpdate, &p.IsSecurityUpdate, &p.SourceRepository, &p.UpdatedAt, &total)
	})
	if err != nil {
		return nil, 0, err
	}
	if len(out) == 0 {
		out = []openapi.HostPackage{}
		if f.Page > 1 {
			err = s.db.Pool.QueryRow(ctx, sqlCountHostPackages, id, pattern, f.UpdatesOnly, f.SecurityOnly).Scan(&total)
		}
	}
	return out, total, err
}

const sqlHostRepositories = `
SELECT r.id, r.name, r.url, r.distribution, r.components, r.repo_type, r.is_secure, hr.is_enabled
FROM host_repositories hr JOIN repositories r ON r.id = hr.repository_id
WHERE hr.host_id = $1
ORDER BY r.name, r.url, r.distribution, r.components`

// HostRepositories returns the repositories a host uses.
func (s *Service) HostRepositories(ctx context.Context, id uuid.UUID) ([]openapi.HostRepository, error) {
	if err := s.requireHost(ctx, id); err != nil {
		return nil, err
	}
	rows, err := s.db.Pool.Query(ctx, sqlHostRepositories, id)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (openapi.HostRepository, error) {
		var h openapi.HostRepository
		return h, r.Scan(&h.Id, &h.Name, &h.Url, &h.Distribution, &h.Components, &h.RepoType, &h.IsSecure, &h.IsEnabled)
	})
	if out == nil {
		out = []openapi.HostRepository{}
	}
	return out, err
}

const (
	sqlHostHistory = `
SELECT id, report_type, sections, total_packages, packages_count, security_count, changed_packages,
       payload_size_kb, execution_time, processing_ms, status, error_message, created_at
FROM update_history WHERE host_id = $1
ORDER BY created_at DESC, id
LIMIT $2 OFFSET $3`
	sqlCountHostHistory = `SELECT count(*) FROM update_history WHERE host_id = $1`
)

// HostHistory returns a page of a host's reports and check-ins that asked for data,
// newest first, and their total number.
func (s *Service) HostHistory(ctx context.Context, id uuid.UUID, page, pageSize int) ([]openapi.HostHistoryEntry, int, error) {
	if page <= 0 {
		page = 1
	}
	if pageSize <= 0 {
		pageSize = 25
	}
	if pageSize > 200 {
		return nil, 0, fieldError("pageSize", "pageSize must be between 1 and 200")
	}
	if err := s.requireHost(ctx, id); err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.db.Pool.QueryRow(ctx, sqlCountHostHistory, id).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Pool.Query(ctx, sqlHostHistory, id, pageSize, (page-1)*pageSize)
	if err != nil {
		return nil, 0, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (openapi.HostHistoryEntry, error) {
		var e openapi.HostHistoryEntry
		var typ, status string
		err := r.Scan(&e.Id, &typ, &e.Sections, &e.TotalPackages, &e.PackagesCount, &e.SecurityCount,
			&e.ChangedPackages, &e.PayloadSizeKb, &e.ExecutionTime, &e.ProcessingMs, &status, &e.ErrorMessage, &e.CreatedAt)
		e.ReportType, e.Status = openapi.HostHistoryEntryReportType(typ), openapi.HostHistoryEntryStatus(status)
		if e.Sections == nil {
			e.Sections = []string{}
		}
		return e, err
	})
	if out == nil {
		out = []openapi.HostHistoryEntry{}
	}
	return out, total, err
}
