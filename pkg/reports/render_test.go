package reports_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/reports"
)

var update = flag.Bool("update", false, "rewrite golden files")

func fixedReport() *reports.Report {
	seen := time.Date(2026, 6, 1, 7, 45, 0, 0, time.UTC)
	return &reports.Report{
		Name:        "Weekly <Prod> & Co",
		GeneratedAt: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC),
		HostGroups:  []string{"Production"},
		Summary: reports.Summary{Hosts: 2, HostsNeedingUpdates: 1, HostsWithSecurityUpdates: 1, HostsNeedingReboot: 1,
			OfflineHosts: 1, OutdatedPackages: 3, SecurityUpdates: 2},
		Hosts: []reports.HostRow{
			{ID: uuid.MustParse("00000000-0000-4000-8000-000000000001"), Name: "web1", Hostname: "web1.example.com", IP: "10.0.0.1",
				OSType: "Ubuntu", OSVersion: "24.04", Status: "active", LastCheckin: &seen, TotalPackages: 512, OutdatedPackages: 3,
				SecurityUpdates: 2, NeedsReboot: true, Groups: []string{"Production", "Web"}},
			{ID: uuid.MustParse("00000000-0000-4000-8000-000000000002"), Name: "=cmd|' /C calc'!A0", Status: "offline",
				Groups: []string{}},
		},
		TopPackages: []reports.PackageRow{{Name: "openssl", LatestVersion: "3.0.13", Hosts: 1, SecurityHosts: 1},
			{Name: "vim", LatestVersion: "9.1", Hosts: 1}},
	}
}

// TestRenderGolden pins every format byte for byte (refresh with -update): the CSV
// columns and JSON fields are a contract for whatever reads the reports.
func TestRenderGolden(t *testing.T) {
	t.Parallel()
	for _, format := range []string{reports.FormatCSV, reports.FormatJSON, reports.FormatHTML} {
		files, err := reports.Render(fixedReport(), format)
		require.NoError(t, err)
		for _, f := range files {
			path := filepath.Join("testdata", f.Filename+".golden")
			if *update {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(path, f.Content, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run with -update to create %s", path)
			assert.Equal(t, string(want), string(f.Content), f.Filename)
		}
	}
	assert.Equal(t, "2 hosts: 1 need updates (3 packages, 2 security updates), 1 need a reboot, 1 offline.\n"+
		"Top packages needing updates: openssl (1 hosts), vim (1 hosts)", reports.SummaryText(fixedReport()))
}

func FuzzNextRuns(f *testing.F) {
	for _, s := range []string{"0 8 * * 1", "@weekly", "*/5 * * * *", "0 0 31 2 *", "1-5/2 3,4 * JAN-MAR MON"} {
		f.Add(s, "Europe/Berlin")
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr, tz string) {
		runs, err := reports.NextRuns(expr, tz, from, 3)
		if err != nil {
			return
		}
		for i, r := range runs {
			if !r.After(from) || (i > 0 && !r.After(runs[i-1])) {
				t.Fatalf("runs not increasing after %s: %v", from, runs)
			}
		}
	})
}
