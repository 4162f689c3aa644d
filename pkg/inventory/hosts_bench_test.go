package inventory_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/inventory"
)

// seedFleet inserts n reported hosts spread over five operating systems, three statuses
// and ten groups (every host in one or two), with varied package counters.
func seedFleet(tb testing.TB, e *env, n int) uuid.UUID {
	tb.Helper()
	ctx := context.Background()
	_, err := e.pool.Exec(ctx, `
INSERT INTO host_groups (name) SELECT 'group-' || g FROM generate_series(1, 10) g;
`)
	require.NoError(tb, err)
	_, err = e.pool.Exec(ctx, `
INSERT INTO hosts (friendly_name, api_id, api_key_hash, status, hostname, ip, os_type, os_version,
                   total_packages, outdated_packages, security_updates, needs_reboot,
                   last_checkin_at, last_report_at)
SELECT 'host-' || lpad(i::text, 6, '0'), 'patchmon_' || md5(i::text), 'x',
       (ARRAY['active', 'active', 'active', 'offline', 'pending'])[1 + i % 5],
       'host' || i || '.example.com', '10.' || (i / 65536) || '.' || (i / 256 % 256) || '.' || (i % 256),
       (ARRAY['Ubuntu', 'Debian', 'Rocky Linux', 'Alpine Linux', 'Arch Linux'])[1 + i % 5],
       (ARRAY['24.04', '12', '9.4', '3.20', 'rolling'])[1 + i % 5],
       300 + i % 700, CASE WHEN i % 3 = 0 THEN i % 40 ELSE 0 END, CASE WHEN i % 11 = 0 THEN i % 7 ELSE 0 END,
       i % 13 = 0, now() - (i % 3600) * interval '1 second', now() - (i % 3600) * interval '1 second'
FROM generate_series(1, $1::int) i`, n)
	require.NoError(tb, err)
	_, err = e.pool.Exec(ctx, `
INSERT INTO host_group_memberships (host_id, host_group_id)
SELECT h.id, g.id FROM (SELECT id, row_number() OVER (ORDER BY id) r FROM hosts) h
JOIN (SELECT id, row_number() OVER (ORDER BY name) r FROM host_groups) g
  ON g.r = 1 + h.r % 10 OR (h.r % 4 = 0 AND g.r = 1 + (h.r / 4) % 10)
ON CONFLICT DO NOTHING;
ANALYZE hosts; ANALYZE host_group_memberships;`)
	require.NoError(tb, err)
	var g uuid.UUID
	require.NoError(tb, e.pool.QueryRow(ctx, `SELECT id FROM host_groups WHERE name = 'group-3'`).Scan(&g))
	return g
}

// BenchmarkListHosts measures one page of the dashboard's host list over 10,000 hosts,
// with the filters and sorts the list offers.
func BenchmarkListHosts(b *testing.B) {
	e := setup(b)
	group := seedFleet(b, e, 10_000)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		f    inventory.HostFilter
	}{
		{"first page by name", inventory.HostFilter{}},
		{"page 100 by name", inventory.HostFilter{Page: 100}},
		{"search", inventory.HostFilter{Search: "host12"}},
		{"group and status", inventory.HostFilter{GroupID: &group, Status: "active"}},
		{"security updates by count", inventory.HostFilter{SecurityUpdates: true, Sort: "security", Desc: true}},
		{"os and needs updates", inventory.HostFilter{OSType: "Debian", NeedsUpdates: true, Sort: "updates", Desc: true}},
		{"by last check-in", inventory.HostFilter{Sort: "lastCheckin", Desc: true}},
		{"reboot required by os", inventory.HostFilter{RebootRequired: true, Sort: "os"}},
		{"ungrouped", inventory.HostFilter{Ungrouped: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.svc.ListHosts(ctx, c.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("facets", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.svc.Facets(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestSeededFleetList checks the benchmark's fixture and that large lists page and
// count correctly, so the benchmark measures real answers.
func TestSeededFleetList(t *testing.T) {
	t.Parallel()
	e := setup(t)
	group := seedFleet(t, e, 2_000)
	ctx := context.Background()
	page, err := e.svc.ListHosts(ctx, inventory.HostFilter{PageSize: 100, Page: 3})
	require.NoError(t, err)
	require.Equal(t, 2000, page.Total)
	require.Len(t, page.Hosts, 100)
	require.Equal(t, "host-000201", page.Hosts[0].FriendlyName)
	page, err = e.svc.ListHosts(ctx, inventory.HostFilter{GroupID: &group, Status: "pending", PageSize: 500})
	require.NoError(t, err)
	require.NotZero(t, page.Total)
	for _, h := range page.Hosts {
		require.Equal(t, "pending", string(h.Status))
		found := false
		for _, g := range h.Groups {
			found = found || g.Id == group
		}
		require.True(t, found, "%s is in the group", h.FriendlyName)
	}
	page, err = e.svc.ListHosts(ctx, inventory.HostFilter{SecurityUpdates: true, Sort: "security", Desc: true, PageSize: 500})
	require.NoError(t, err)
	for i := 1; i < len(page.Hosts); i++ {
		require.GreaterOrEqual(t, page.Hosts[i-1].SecurityUpdates, page.Hosts[i].SecurityUpdates)
		require.Positive(t, page.Hosts[i].SecurityUpdates)
	}
}
