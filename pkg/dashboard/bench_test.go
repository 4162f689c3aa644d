package dashboard_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/dashboard"
	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/dbmigrate"
)

// benchFleet is a migrated database with 10,000 hosts (40 % needing updates, 20 items each,
// some security; 5 % offline, 2 % pending), 2,000 packages, 90 days of snapshots every
// 30 minutes and 100,000 reports.
func benchFleet(b *testing.B) (*dashboard.Service, *pgxpool.Pool) {
	b.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, patchmontest.DatabaseURL(b))
	require.NoError(b, err)
	b.Cleanup(pool.Close)
	mig, err := dbmigrate.New(pool, dbmigrate.Config{})
	require.NoError(b, err)
	_, err = mig.Up(ctx)
	require.NoError(b, err)
	for _, q := range []string{
		`INSERT INTO hosts (friendly_name, api_id, api_key_hash, status, os_type, os_version, outdated_packages,
		    security_updates, needs_reboot, last_report_at)
		 SELECT 'host-' || i, 'patchmon_' || i, 'x',
		        CASE WHEN i % 50 = 0 THEN 'pending' WHEN i % 20 = 0 THEN 'offline' ELSE 'active' END,
		        (ARRAY['Ubuntu', 'Debian', 'Rocky Linux', 'AlmaLinux'])[1 + i % 4], (i % 3)::text,
		        CASE WHEN i % 5 < 2 THEN 20 ELSE 0 END, CASE WHEN i % 5 = 0 THEN 3 ELSE 0 END, i % 7 = 0,
		        CASE WHEN i % 50 = 0 THEN NULL ELSE now() END
		 FROM generate_series(1, 10000) i`,
		`INSERT INTO packages (name) SELECT 'pkg-' || i FROM generate_series(1, 2000) i`,
		`INSERT INTO host_packages (host_id, package_id, current_version, available_version, needs_update, is_security_update)
		 SELECT h.id, p.id, '1', '2', true, n <= 3 AND h.security_updates > 0
		 FROM (SELECT id, security_updates, row_number() OVER () AS r FROM hosts WHERE outdated_packages > 0) h,
		      generate_series(1, 20) n,
		      LATERAL (SELECT id FROM packages WHERE name = 'pkg-' || (1 + (h.r * 7 + n * 13) % 2000)) p`,
		`INSERT INTO fleet_stats_snapshots (captured_at, total_hosts, active_hosts, pending_hosts, offline_hosts,
		    hosts_needing_updates, hosts_with_security_updates, hosts_needing_reboot, total_packages, outdated_packages,
		    security_packages, outdated_installs, security_installs)
		 SELECT now() - i * interval '30 minutes', 10000, 9300, 200, 500, 4000, 2000, 1400, 2000, 1500, 300, 80000, 6000
		 FROM generate_series(0, 90 * 48) i`,
		`INSERT INTO update_history (host_id, report_type, created_at)
		 SELECT id, 'full', now() - (random() * interval '30 days') FROM hosts, generate_series(1, 10)`,
		`ANALYZE`,
	} {
		_, err := pool.Exec(ctx, q)
		require.NoError(b, err)
	}
	svc, err := dashboard.New(dashboard.Config{DB: db.New(pool, db.Options{})})
	require.NoError(b, err)
	return svc, pool
}

// BenchmarkDashboard measures the dashboard's queries on a 10,000-host fleet.
func BenchmarkDashboard(b *testing.B) {
	svc, _ := benchFleet(b)
	ctx := context.Background()
	b.Run("Stats", func(b *testing.B) {
		for b.Loop() {
			st, err := svc.Stats(ctx)
			if err != nil || st.TotalHosts != 10000 {
				b.Fatal(st.TotalHosts, err)
			}
		}
	})
	for _, r := range []dashboard.Range{dashboard.Range24h, dashboard.Range90d} {
		b.Run("Trends"+string(r), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := svc.Trends(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("RecentActivity", func(b *testing.B) {
		for b.Loop() {
			if a, err := svc.RecentActivity(ctx, 10); err != nil || len(a) != 10 {
				b.Fatal(len(a), err)
			}
		}
	})
}
