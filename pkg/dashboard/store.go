package dashboard

// SQL of this package. Statistics read the denormalised host counters kept by ingest and,
// for distinct package counts, only the host_packages rows that need an update (partial
// index host_packages_updates_idx).
const (
	sqlStats = `
WITH h AS (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE status = 'active')  AS active,
           count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'offline') AS offline,
           count(*) FILTER (WHERE outdated_packages > 0) AS needing,
           count(*) FILTER (WHERE security_updates > 0)  AS with_security,
           count(*) FILTER (WHERE last_report_at IS NOT NULL AND outdated_packages = 0) AS up_to_date,
           count(*) FILTER (WHERE needs_reboot) AS reboot
    FROM hosts),
p AS (
    SELECT count(*) AS outdated, count(*) FILTER (WHERE security) AS security
    FROM (SELECT package_id, bool_or(is_security_update) AS security
          FROM host_packages WHERE needs_update GROUP BY package_id) u),
os AS (
    SELECT COALESCE(jsonb_agg(jsonb_build_object('name', name, 'count', n) ORDER BY n DESC, name), '[]'::jsonb) AS dist
    FROM (SELECT btrim(COALESCE(os_type, 'Unknown') || ' ' || COALESCE(os_version, '')) AS name, count(*) AS n
          FROM hosts GROUP BY 1) d)
SELECT h.total, h.active, h.pending, h.offline, h.needing, h.with_security, h.up_to_date, h.reboot,
       p.outdated, p.security, os.dist
FROM h, p, os`

	// sqlTrends keeps the last snapshot of every bucket of $2 seconds since $1.
	sqlTrends = `
SELECT DISTINCT ON (bucket) captured_at, total_hosts, hosts_needing_updates, hosts_with_security_updates,
       hosts_needing_reboot, offline_hosts, outdated_packages, security_packages
FROM (SELECT *, date_bin(make_interval(secs => $2), captured_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket
      FROM fleet_stats_snapshots WHERE captured_at >= $1) s
ORDER BY bucket, captured_at DESC`

	sqlLatestSnapshot = `SELECT max(captured_at) FROM fleet_stats_snapshots`

	sqlRecentActivity = `
SELECT u.id, u.host_id, h.friendly_name, u.report_type, u.status, u.packages_count, u.security_count,
       u.total_packages, u.error_message, u.created_at
FROM update_history u JOIN hosts h ON h.id = u.host_id
WHERE u.report_type <> 'ping'
ORDER BY u.created_at DESC
LIMIT $1`

	sqlLoadLayout = `
SELECT card_id, enabled FROM dashboard_preferences WHERE user_id = $1 ORDER BY position, card_id`

	sqlDeleteLayout = `DELETE FROM dashboard_preferences WHERE user_id = $1`

	sqlInsertLayout = `
INSERT INTO dashboard_preferences (user_id, card_id, enabled, position)
SELECT $1, card_id, enabled, position
FROM unnest($2::text[], $3::boolean[], $4::integer[]) AS t (card_id, enabled, position)`
)
