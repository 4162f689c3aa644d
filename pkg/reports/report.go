package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Report is the content of one fleet patch-status report.
type Report struct {
	Name        string       `json:"name"`
	GeneratedAt time.Time    `json:"generated_at"`
	HostGroups  []string     `json:"host_groups"`
	Summary     Summary      `json:"summary"`
	Hosts       []HostRow    `json:"hosts"`
	TopPackages []PackageRow `json:"top_packages"`
}

// Summary counts the fleet (or the schedule's host groups).
type Summary struct {
	Hosts                    int `json:"hosts"`
	HostsNeedingUpdates      int `json:"hosts_needing_updates"`
	HostsWithSecurityUpdates int `json:"hosts_with_security_updates"`
	HostsNeedingReboot       int `json:"hosts_needing_reboot"`
	OfflineHosts             int `json:"offline_hosts"`
	OutdatedPackages         int `json:"outdated_packages"`
	SecurityUpdates          int `json:"security_updates"`
}

// HostRow is one host of a report.
type HostRow struct {
	ID               uuid.UUID  `json:"id"`
	Name             string     `json:"friendly_name"`
	Hostname         string     `json:"hostname"`
	IP               string     `json:"ip"`
	OSType           string     `json:"os_type"`
	OSVersion        string     `json:"os_version"`
	Status           string     `json:"status"`
	LastCheckin      *time.Time `json:"last_checkin"`
	TotalPackages    int        `json:"total_packages"`
	OutdatedPackages int        `json:"outdated_packages"`
	SecurityUpdates  int        `json:"security_updates"`
	NeedsReboot      bool       `json:"needs_reboot"`
	Groups           []string   `json:"host_groups"`
}

// PackageRow is one package that hosts need to update.
type PackageRow struct {
	Name          string `json:"name"`
	LatestVersion string `json:"latest_version"`
	Hosts         int    `json:"hosts_needing_update"`
	SecurityHosts int    `json:"hosts_with_security_update"`
}

// File is one rendered output file.
type File struct {
	Filename    string
	ContentType string
	Content     []byte
}

// slug makes a file-name-safe version of a schedule name.
func slug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if s := b.String(); s != "" && !strings.HasSuffix(s, "-") {
				b.WriteByte('-')
			}
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		s = "report"
	}
	return s
}

// Render produces the report in a format: csv gives two files (hosts and top packages),
// json and html one each.
func Render(r *Report, format string) ([]File, error) {
	base := "patchmon-" + slug(r.Name) + "-" + r.GeneratedAt.UTC().Format("2006-01-02")
	switch format {
	case FormatJSON:
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return nil, err
		}
		return []File{{base + ".json", "application/json", b}}, nil
	case FormatCSV:
		hosts, err := hostsCSV(r)
		if err != nil {
			return nil, err
		}
		pkgs, err := packagesCSV(r)
		if err != nil {
			return nil, err
		}
		return []File{{base + "-hosts.csv", "text/csv; charset=utf-8", hosts}, {base + "-top-packages.csv", "text/csv; charset=utf-8", pkgs}}, nil
	case FormatHTML:
		var buf bytes.Buffer
		if err := htmlTemplate.Execute(&buf, r); err != nil {
			return nil, err
		}
		return []File{{base + ".html", "text/html; charset=utf-8", buf.Bytes()}}, nil
	}
	return nil, fmt.Errorf("reports: unknown format %q", format)
}

// CSVHostColumns are the columns of the hosts CSV, in order.
var CSVHostColumns = []string{"friendly_name", "hostname", "ip", "os_type", "os_version", "status", "last_checkin",
	"total_packages", "outdated_packages", "security_updates", "needs_reboot", "host_groups"}

// CSVPackageColumns are the columns of the top-packages CSV, in order.
var CSVPackageColumns = []string{"name", "latest_version", "hosts_needing_update", "hosts_with_security_update"}

func hostsCSV(r *Report) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(CSVHostColumns)
	for _, h := range r.Hosts {
		last := ""
		if h.LastCheckin != nil {
			last = h.LastCheckin.UTC().Format(time.RFC3339)
		}
		_ = w.Write([]string{csvSafe(h.Name), csvSafe(h.Hostname), csvSafe(h.IP), csvSafe(h.OSType), csvSafe(h.OSVersion), h.Status, last,
			strconv.Itoa(h.TotalPackages), strconv.Itoa(h.OutdatedPackages), strconv.Itoa(h.SecurityUpdates),
			strconv.FormatBool(h.NeedsReboot), csvSafe(strings.Join(h.Groups, "; "))})
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

func packagesCSV(r *Report) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(CSVPackageColumns)
	for _, p := range r.TopPackages {
		_ = w.Write([]string{csvSafe(p.Name), csvSafe(p.LatestVersion), strconv.Itoa(p.Hosts), strconv.Itoa(p.SecurityHosts)})
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// csvSafe defuses spreadsheet formulas: host names come from agents.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// SummaryText is the short plain-text version used as the message body.
func SummaryText(r *Report) string {
	s := r.Summary
	var b strings.Builder
	fmt.Fprintf(&b, "%d hosts: %d need updates (%d packages, %d security updates), %d need a reboot, %d offline.",
		s.Hosts, s.HostsNeedingUpdates, s.OutdatedPackages, s.SecurityUpdates, s.HostsNeedingReboot, s.OfflineHosts)
	if len(r.TopPackages) > 0 {
		b.WriteString("\nTop packages needing updates: ")
		for i, p := range r.TopPackages {
			if i == 5 {
				b.WriteString(", …")
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s (%d hosts)", p.Name, p.Hosts)
		}
	}
	return b.String()
}

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"ts": func(v any) string {
		switch t := v.(type) {
		case time.Time:
			return t.UTC().Format("2006-01-02 15:04 UTC")
		case *time.Time:
			if t != nil {
				return t.UTC().Format("2006-01-02 15:04 UTC")
			}
		}
		return "never"
	},
	"join": func(s []string) string { return strings.Join(s, ", ") },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Name}}</title>
<style>
body{font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#111827;margin:24px}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 8px}
.muted{color:#6B7280;font-size:13px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #E5E7EB;padding:6px 8px;text-align:left}
th{background:#F9FAFB} td.n{text-align:right}
.sec{color:#B91C1C;font-weight:600}
.cards td{border:none;padding:4px 16px 4px 0}
</style></head><body>
<h1>{{.Name}}</h1>
<p class="muted">PatchMon fleet patch status · generated {{ts .GeneratedAt}}{{if .HostGroups}} · host groups: {{join .HostGroups}}{{end}}</p>
<table class="cards"><tr>
<td><b>{{.Summary.Hosts}}</b> hosts</td>
<td><b>{{.Summary.HostsNeedingUpdates}}</b> need updates</td>
<td><b>{{.Summary.OutdatedPackages}}</b> outdated packages</td>
<td class="sec"><b>{{.Summary.SecurityUpdates}}</b> security updates</td>
<td><b>{{.Summary.HostsNeedingReboot}}</b> need a reboot</td>
<td><b>{{.Summary.OfflineHosts}}</b> offline</td>
</tr></table>
<h2>Hosts</h2>
{{if .Hosts}}<table><thead><tr><th>Host</th><th>OS</th><th>Status</th><th>Last check-in</th><th>Outdated</th><th>Security</th><th>Reboot</th><th>Groups</th></tr></thead><tbody>
{{range .Hosts}}<tr><td>{{.Name}}{{if and .Hostname (ne .Hostname .Name)}} <span class="muted">{{.Hostname}}</span>{{end}}</td><td>{{.OSType}} {{.OSVersion}}</td><td>{{.Status}}</td><td>{{ts .LastCheckin}}</td><td class="n">{{.OutdatedPackages}}</td><td class="n{{if .SecurityUpdates}} sec{{end}}">{{.SecurityUpdates}}</td><td>{{if .NeedsReboot}}yes{{end}}</td><td>{{join .Groups}}</td></tr>
{{end}}</tbody></table>{{else}}<p class="muted">No hosts.</p>{{end}}
<h2>Top packages needing updates</h2>
{{if .TopPackages}}<table><thead><tr><th>Package</th><th>Latest version</th><th>Hosts</th><th>Security</th></tr></thead><tbody>
{{range .TopPackages}}<tr><td>{{.Name}}</td><td>{{.LatestVersion}}</td><td class="n">{{.Hosts}}</td><td class="n{{if .SecurityHosts}} sec{{end}}">{{.SecurityHosts}}</td></tr>
{{end}}</tbody></table>{{else}}<p class="muted">Every host is up to date.</p>{{end}}
</body></html>
`))
