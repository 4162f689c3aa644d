package inventory

import (
	"context"
	"encoding/json"
	"time"
)

// sqlSnapshotFleetStats computes the fleet counters and appends them as one
// fleet_stats_snapshots row, in a single statement so that the numbers are consistent.
const sqlSnapshotFleetStats = `
WITH h AS (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE status = 'active')  AS active,
           count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'offline') AS offline,
           count(*) FILTER (WHERE outdated_packages > 0) AS needing_updates,
           count(*) FILTER (WHERE security_updates > 0)  AS with_security,
           count(*) FILTER (WHERE needs_reboot)          AS needing_reboot,
           COALESCE(sum(outdated_packages), 0) AS outdated_installs,
           COALESCE(sum(security_updates), 0)  AS security_installs
    FROM hosts),
p AS (
    SELECT count(DISTINCT package_id) AS total,
           count(DISTINCT package_id) FILTER (WHERE needs_update) AS outdated,
           count(DISTINCT package_id) FILTER (WHERE needs_update AND is_security_update) AS security
    FROM host_packages),
os AS (
    SELECT COALESCE(jsonb_object_agg(name, n), '{}'::jsonb) AS dist FROM (
        SELECT btrim(COALESCE(os_type, 'Unknown') || ' ' || COALESCE(os_version, '')) AS name, count(*) AS n
        FROM hosts GROUP BY 1) d)
INSERT INTO fleet_stats_snapshots (total_hosts, active_hosts, pending_hosts, offline_hosts,
    hosts_needing_updates, hosts_with_security_updates, hosts_needing_reboot, total_packages,
    outdated_packages, security_packages, outdated_installs, security_installs, os_distribution)
SELECT h.total, h.active, h.pending, h.offline, h.needing_updates, h.with_security, h.needing_reboot,
       p.total, p.outdated, p.security, h.outdated_installs, h.security_installs, os.dist
FROM h, p, os
RETURNING captured_at, total_hosts, active_hosts, pending_hosts, offline_hosts, hosts_needing_updates,
    hosts_with_security_updates, hosts_needing_reboot, total_packages, outdated_packages,
    security_packages, outdated_installs, security_installs, os_distribution`

// FleetStats is one snapshot of fleet-wide counters, the data points of the dashboard's
// trend charts.
type FleetStats struct {
	CapturedAt               time.Time
	TotalHosts               int
	ActiveHosts              int
	PendingHosts             int
	OfflineHosts             int
	HostsNeedingUpdates      int
	HostsWithSecurityUpdates int
	HostsNeedingReboot       int
	// TotalPackages, OutdatedPackages and SecurityPackages count distinct packages.
	TotalPackages    int
	OutdatedPackages int
	SecurityPackages int
	// OutdatedInstalls and SecurityInstalls count host/package pairs.
	OutdatedInstalls int64
	SecurityInstalls int64
	// OSDistribution maps "OS version" to a number of hosts.
	OSDistribution map[string]int
}

// SnapshotFleetStats records the current fleet counters in fleet_stats_snapshots and
// returns them. Run it periodically (the server schedules it as a job).
func (s *Service) SnapshotFleetStats(ctx context.Context) (FleetStats, error) {
	var (
		st   FleetStats
		dist []byte
	)
	err := s.db.Pool.QueryRow(ctx, sqlSnapshotFleetStats).Scan(&st.CapturedAt, &st.TotalHosts, &st.ActiveHosts,
		&st.PendingHosts, &st.OfflineHosts, &st.HostsNeedingUpdates, &st.HostsWithSecurityUpdates,
		&st.HostsNeedingReboot, &st.TotalPackages, &st.OutdatedPackages, &st.SecurityPackages,
		&st.OutdatedInstalls, &st.SecurityInstalls, &dist)
	if err != nil {
		return FleetStats{}, err
	}
	if err := json.Unmarshal(dist, &st.OSDistribution); err != nil {
		return FleetStats{}, err
	}
	return st, nil
}
