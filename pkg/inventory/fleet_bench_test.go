package inventory_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/auth/authtest"
	"github.com/patchmon-go/patchmon/pkg/inventory"
)

// seedFleetSQL writes a synthetic fleet straight into the tables, far faster than
// reports would: hosts hosts, each with perHost of 2×perHost packages (a window sliding
// with the host number, so package popularity varies), one in 20 outdated and one in
// 100 a security update. Counters on the hosts row are filled in as ingest would.
func seedFleetSQL(tb testing.TB, pool *pgxpool.Pool, hosts, perHost int) {
	tb.Helper()
	ctx := context.Background()
	for _, st := range []struct {
		sql string
		arg int
	}{
		{`INSERT INTO hosts (friendly_name, api_id, api_key_hash, status, hostname, ip, os_type, os_version, last_report_at)
		  SELECT 'host-' || lpad(i::text, 6, '0'), 'patchmon_seed' || i, 'x', 'active', 'host-' || i || '.example.com',
		         '10.0.' || (i / 256) || '.' || (i % 256), 'Ubuntu', '24.04', now()
		  FROM generate_series(1, $1) i`, hosts},
		{`INSERT INTO packages (name, description, category, latest_version)
		  SELECT 'pkg-' || lpad(j::text, 5, '0'), 'package ' || j, (ARRAY['libs','net','admin','devel','python'])[1 + j % 5], '2.0'
		  FROM generate_series(1, 2 * $1) j`, perHost},
		{`INSERT INTO host_packages (host_id, package_id, current_version, available_version, needs_update, is_security_update, source_repository)
		  SELECT h.id, p.id, '1.' || (h.n % 3), CASE WHEN (h.n + p.n) % 20 = 0 THEN '2.0' ELSE '' END,
		         (h.n + p.n) % 20 = 0, (h.n + p.n) % 100 = 0, 'http://archive.ubuntu.com/ubuntu noble/main'
		  FROM (SELECT id, row_number() OVER (ORDER BY friendly_name) AS n FROM hosts) h
		  JOIN (SELECT id, row_number() OVER (ORDER BY name) AS n FROM packages) p
		    ON p.n > h.n % $1 AND p.n <= h.n % $1 + $1`, perHost},
		{`UPDATE hosts h SET total_packages = c.total, outdated_packages = c.outdated, security_updates = c.security
		  FROM (SELECT host_id, count(*) AS total, count(*) FILTER (WHERE needs_update) AS outdated,
		               count(*) FILTER (WHERE is_security_update) AS security FROM host_packages GROUP BY host_id) c
		  WHERE h.id = c.host_id AND $1 > 0`, 1},
	} {
		_, err := pool.Exec(ctx, st.sql, st.arg)
		require.NoError(tb, err, st.sql)
	}
	// What autovacuum would do before anyone looked: statistics for the planner and a
	// visibility map for index-only scans.
	for _, t := range []string{"hosts", "packages", "host_packages"} {
		_, err := pool.Exec(ctx, "VACUUM ANALYZE "+t)
		require.NoError(tb, err)
	}
}

// BenchmarkListPackages measures the package list of a fleet of 10,000 hosts with 200
// packages each (two million host_packages rows), in each order and with the filters
// the dashboard offers. Run with: go test -run '^$' -bench ListPackages ./pkg/inventory
func BenchmarkListPackages(b *testing.B) {
	e := setup(b)
	seedFleetSQL(b, e.pool, 10_000, 200)
	ctx := context.Background()
	desc := true
	for _, bc := range []struct {
		name string
		q    inventory.PackageQuery
	}{
		{"by-name", inventory.PackageQuery{}},
		{"by-name-page-4", inventory.PackageQuery{Page: inventory.Page{Offset: 150}}},
		{"by-hosts", inventory.PackageQuery{Sort: inventory.SortByHosts}},
		{"by-updates", inventory.PackageQuery{Sort: inventory.SortByUpdates}},
		{"by-security", inventory.PackageQuery{Sort: inventory.SortBySecurity, Desc: &desc}},
		{"needs-update", inventory.PackageQuery{NeedsUpdate: true}},
		{"security-only", inventory.PackageQuery{SecurityOnly: true, Sort: inventory.SortByUpdates}},
		{"search-category", inventory.PackageQuery{Search: "pkg-001", Category: "net"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				pkgs, total, err := e.svc.Packages(ctx, bc.q)
				if err != nil {
					b.Fatal(err)
				}
				if total == 0 || len(pkgs) == 0 {
					b.Fatal("no packages")
				}
			}
		})
	}
	b.Run("package-hosts", func(b *testing.B) {
		pkgs, _, err := e.svc.Packages(ctx, inventory.PackageQuery{Sort: inventory.SortByHosts})
		require.NoError(b, err)
		for b.Loop() {
			if _, _, err := e.svc.PackageHosts(ctx, pkgs[0].ID, inventory.PackageHostQuery{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkExportPackages streams the whole export of a 2,000-host fleet (400,000 rows)
// through the service, as the HTTP handler does.
func BenchmarkExportPackages(b *testing.B) {
	e := setup(b)
	seedFleetSQL(b, e.pool, 2_000, 200)
	ctx := context.Background()
	for b.Loop() {
		w := csv.NewWriter(io.Discard)
		n := 0
		err := e.svc.ExportPackages(ctx, inventory.ExportFilter{}, func(r *inventory.ExportRow) error {
			n++
			return w.Write([]string{r.Host, r.Package, r.CurrentVersion})
		})
		if err != nil || n != 400_000 {
			b.Fatal(n, err)
		}
	}
}

// TestExportLargeFleet downloads the CSV export of 1,500 hosts × 120 packages through
// the real server and checks every row arrives, in order, in a response the server
// streamed (no Content-Length: it was not built in memory first).
func TestExportLargeFleet(t *testing.T) {
	t.Parallel()
	cfg := patchmon.DefaultConfig()
	cfg.PasswordHashCost = 4
	cfg.DatabaseURL = patchmontest.DatabaseURL(t)
	srv := patchmontest.NewServer(t, cfg)
	admin := authtest.Setup(t, srv.URL)
	pool, err := pgxpool.New(t.Context(), cfg.DatabaseURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	const hosts, perHost = 1_500, 120
	seedFleetSQL(t, pool, hosts, perHost)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/api/v1/packages/export", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", admin.Header())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, int64(-1), resp.ContentLength, "streamed")

	r := csv.NewReader(resp.Body)
	r.ReuseRecord = true
	head, err := r.Read()
	require.NoError(t, err)
	assert.Equal(t, "host_id", head[0])
	rows, outdated, prevHost, hostsSeen := 0, 0, "", 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		rows++
		if rec[1] != prevHost {
			require.Less(t, prevHost, rec[1], "rows are grouped by host, in name order")
			prevHost = rec[1]
			hostsSeen++
		}
		if rec[10] == "true" {
			outdated++
		}
	}
	assert.Equal(t, hosts*perHost, rows)
	assert.Equal(t, hosts, hostsSeen)
	var want int
	require.NoError(t, pool.QueryRow(t.Context(), `SELECT count(*) FROM host_packages WHERE needs_update`).Scan(&want))
	assert.Equal(t, want, outdated)
	assert.Equal(t, fmt.Sprintf("host-%06d", hosts), prevHost)
}
