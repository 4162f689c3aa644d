package inventory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

func TestFullReport(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("web-1")
	rep := fullReport(packages(100, ""))
	resp := e.do(&h, "POST", "/api/v1/hosts/update", rep)
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	m := resp.json(t)
	assert.Equal(t, "Host updated successfully", m["message"])
	assert.Equal(t, true, m["success"])
	assert.Equal(t, float64(100), m["packagesProcessed"])
	assert.Equal(t, float64(15), m["updatesAvailable"]) // i%7 == 0 for i < 100
	assert.Equal(t, float64(5), m["securityUpdates"])   // i%21 == 0

	ctx := context.Background()
	var (
		status, osType, hostname, kernel, ip, gw, reason, pm string
		cores, total, outdated, sec, repos                   int
		ram, swap                                            float64
		reboot                                               bool
		dns                                                  []string
		ifaces, disks                                        []map[string]any
		full                                                 *time.Time
		pkgHash, repoHash, ifHash, hnHash                    string
	)
	require.NoError(t, e.pool.QueryRow(ctx, `
SELECT status, os_type, hostname, kernel_version, ip, gateway_ip, reboot_reason, package_manager,
       cpu_cores, total_packages, outdated_packages, security_updates, total_repos, ram_installed, swap_size,
       needs_reboot, dns_servers, network_interfaces, disk_details, last_full_report_at,
       packages_hash, repos_hash, interfaces_hash, hostname_hash
FROM hosts WHERE id = $1`, h.id).Scan(&status, &osType, &hostname, &kernel, &ip, &gw, &reason, &pm,
		&cores, &total, &outdated, &sec, &repos, &ram, &swap, &reboot, &dns, &ifaces, &disks, &full,
		&pkgHash, &repoHash, &ifHash, &hnHash))
	assert.Equal(t, "active", status)
	assert.Equal(t, "Debian", osType)
	assert.Equal(t, "web-1.example.com", hostname)
	assert.Equal(t, "6.1.0-18-amd64", kernel)
	assert.Equal(t, "192.0.2.10", ip)
	assert.Equal(t, "192.0.2.1", gw)
	assert.Equal(t, "kernel update", reason)
	assert.Equal(t, "apt", pm)
	assert.Equal(t, 4, cores)
	assert.Equal(t, []int{100, 15, 5, 2}, []int{total, outdated, sec, repos})
	assert.Equal(t, 7.7, ram)
	assert.Equal(t, 1.0, swap)
	assert.True(t, reboot)
	assert.Equal(t, []string{"192.0.2.53"}, dns)
	require.Len(t, ifaces, 1)
	assert.Equal(t, "eth0", ifaces[0]["name"])
	require.Len(t, disks, 1)
	assert.Equal(t, "/", disks[0]["mountpoint"])
	assert.NotNil(t, full)
	assert.Equal(t, agentproto.PackagesHash(rep.Packages), pkgHash)
	assert.Equal(t, agentproto.ReposHash(rep.Repositories), repoHash)
	assert.Equal(t, agentproto.InterfacesHash(rep.NetworkInterfaces), ifHash)
	assert.Equal(t, agentproto.HostnameHash(rep.Hostname), hnHash)

	assert.Equal(t, 100, e.count(`SELECT count(*) FROM host_packages WHERE host_id = $1`, h.id))
	assert.Equal(t, 15, e.count(`SELECT count(*) FROM host_packages WHERE host_id = $1 AND needs_update`, h.id))
	assert.Equal(t, 100, e.count(`SELECT count(*) FROM packages`))
	assert.Equal(t, 2, e.count(`SELECT count(*) FROM host_repositories WHERE host_id = $1`, h.id))
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM repositories WHERE is_secure`))

	var latest, desc string
	e.scalar(&latest, `SELECT latest_version FROM packages WHERE name = 'pkg-00007'`)
	e.scalar(&desc, `SELECT description FROM packages WHERE name = 'pkg-00007'`)
	assert.Equal(t, "1.7.1-1", latest, "the catalogue knows the available version")
	assert.Equal(t, "package number 7", desc)

	var (
		rtype                   string
		hTotal, hCount, hSec, n int
		kb                      float64
		hstatus                 string
	)
	require.NoError(t, e.pool.QueryRow(ctx, `SELECT report_type, total_packages, packages_count, security_count, changed_packages, payload_size_kb, status FROM update_history WHERE host_id = $1`, h.id).
		Scan(&rtype, &hTotal, &hCount, &hSec, &n, &kb, &hstatus))
	assert.Equal(t, "full", rtype)
	assert.Equal(t, []int{100, 15, 5, 100}, []int{hTotal, hCount, hSec, n})
	assert.Greater(t, kb, 1.0)
	assert.Equal(t, "success", hstatus)
}

// tinyPackages returns n packages with only the required fields, so that 10,000 of them
// fit in the default 2 MB body limit.
func tinyPackages(n int) []agentproto.Package {
	out := make([]agentproto.Package, n)
	for i := range out {
		out[i] = agentproto.Package{Name: fmt.Sprintf("p%05d", i), CurrentVersion: "1"}
	}
	return out
}

func TestReportValidation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("web-1")
	cases := map[string]struct {
		report  agentproto.Report
		message string
	}{
		"full report without packages": {fullReport(nil), "a full report must contain at least one package"},
		"empty packages array":         {fullReport([]agentproto.Package{}), "a full report must contain at least one package"},
		"more than 10,000 packages":    {fullReport(tinyPackages(10001)), "too many packages: 10001, the maximum is 10000"},
		"partial packages without any": {agentproto.Report{Sections: []string{"packages"}, Packages: []agentproto.Package{}}, "sections lists packages but the packages array is empty"},
		"unknown section":              {agentproto.Report{Sections: []string{"kernel"}}, `"kernel" is not one of packages, repos, interfaces, hostname`},
		"package without name":         {fullReport([]agentproto.Package{{Name: " ", CurrentVersion: "1"}}), "package name is required"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			resp := e.do(&h, "POST", "/api/v1/hosts/update", c.report)
			require.Equal(t, http.StatusBadRequest, resp.status, "%s", resp.body)
			m := resp.json(t)
			assert.Contains(t, m["error"], c.message)
			assert.Equal(t, "invalid_report", m["code"])
		})
	}
	assert.Zero(t, e.count(`SELECT count(*) FROM packages`), "nothing is written for a rejected report")
	assert.Zero(t, e.count(`SELECT count(*) FROM update_history`))
	var status string
	e.scalar(&status, `SELECT status FROM hosts WHERE id = $1`, h.id)
	assert.Equal(t, "pending", status)

	// Exactly 10,000 is allowed.
	resp := e.do(&h, "POST", "/api/v1/hosts/update", fullReport(tinyPackages(10000)))
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	assert.Equal(t, 10000, e.count(`SELECT count(*) FROM host_packages WHERE host_id = $1`, h.id))
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *options) { o.bodyLimit = 64 << 10 })
	h := e.newHost("web-1")
	resp := e.do(&h, "POST", "/api/v1/hosts/update", fullReport(packages(1000, "")))
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.status, "%s", resp.body)
	assert.Equal(t, "Request body too large: the limit for this endpoint is 64kb", resp.json(t)["error"])
	assert.Zero(t, e.count(`SELECT count(*) FROM packages`))
	assert.Zero(t, e.count(`SELECT count(*) FROM update_history`))

	// The same report within the limit is accepted.
	require.Equal(t, http.StatusOK, e.do(&h, "POST", "/api/v1/hosts/update", fullReport(packages(50, ""))).status)
}

func TestPartialReport(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("web-1")
	rep := fullReport(packages(20, ""))
	require.Equal(t, http.StatusOK, e.do(&h, "POST", "/api/v1/hosts/update", rep).status)
	var fullAt time.Time
	e.scalar(&fullAt, `SELECT last_full_report_at FROM hosts WHERE id = $1`, h.id)

	// A partial report applies only its sections; every other field arrives as a zero
	// value and must not wipe what is stored.
	pkgs := packages(25, "")
	pkgs[3].CurrentVersion = "9.9"
	resp := e.do(&h, "POST", "/api/v1/hosts/update", agentproto.Report{
		Sections: []string{"packages"},
		Packages: pkgs,
		Hashes:   &agentproto.ReportHashes{PackagesHash: strings.Repeat("e", 64)},
	})
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	assert.Equal(t, float64(25), resp.json(t)["packagesProcessed"])

	var (
		osType, hostname, kernel, pkgHash, repoHash string
		cores, total, repos                         int
		reboot                                      bool
		fullAfter                                   time.Time
	)
	require.NoError(t, e.pool.QueryRow(context.Background(), `
SELECT os_type, hostname, kernel_version, packages_hash, repos_hash, cpu_cores, total_packages, total_repos,
       needs_reboot, last_full_report_at FROM hosts WHERE id = $1`, h.id).
		Scan(&osType, &hostname, &kernel, &pkgHash, &repoHash, &cores, &total, &repos, &reboot, &fullAfter))
	assert.Equal(t, "Debian", osType)
	assert.Equal(t, "web-1.example.com", hostname)
	assert.Equal(t, "6.1.0-18-amd64", kernel)
	assert.Equal(t, 4, cores)
	assert.True(t, reboot)
	assert.Equal(t, 25, total)
	assert.Equal(t, 2, repos, "repositories are untouched by a packages-only report")
	assert.Equal(t, strings.Repeat("e", 64), pkgHash, "the agent's own hash is stored, so its next ping matches")
	assert.Equal(t, agentproto.ReposHash(rep.Repositories), repoHash)
	assert.True(t, fullAt.Equal(fullAfter), "a partial report is not a full one")
	assert.Equal(t, 2, e.count(`SELECT count(*) FROM host_repositories WHERE host_id = $1`, h.id))
	var v string
	e.scalar(&v, `SELECT hp.current_version FROM host_packages hp JOIN packages p ON p.id = hp.package_id WHERE hp.host_id = $1 AND p.name = 'pkg-00003'`, h.id)
	assert.Equal(t, "9.9", v)

	var sections []string
	e.scalar(&sections, `SELECT sections FROM update_history WHERE host_id = $1 AND report_type = 'partial'`, h.id)
	assert.Equal(t, []string{"packages"}, sections)

	// Repos and hostname alone.
	resp = e.do(&h, "POST", "/api/v1/hosts/update", agentproto.Report{
		Sections:     []string{"repos", "hostname"},
		Repositories: rep.Repositories[:1],
		Hostname:     "web-1.new.example.com",
	})
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	e.scalar(&hostname, `SELECT hostname FROM hosts WHERE id = $1`, h.id)
	assert.Equal(t, "web-1.new.example.com", hostname)
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM host_repositories WHERE host_id = $1`, h.id))
	assert.Equal(t, 25, e.count(`SELECT count(*) FROM host_packages WHERE host_id = $1`, h.id))
	e.scalar(&total, `SELECT total_packages FROM hosts WHERE id = $1`, h.id)
	assert.Equal(t, 25, total)

	// Interfaces alone.
	resp = e.do(&h, "POST", "/api/v1/hosts/update", agentproto.Report{
		Sections:          []string{"interfaces"},
		NetworkInterfaces: []agentproto.NetworkInterface{{Name: "ens3", Type: "ethernet", Addresses: []agentproto.InterfaceAddress{}}},
	})
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	var ifaces []map[string]any
	e.scalar(&ifaces, `SELECT network_interfaces FROM hosts WHERE id = $1`, h.id)
	require.Len(t, ifaces, 1)
	assert.Equal(t, "ens3", ifaces[0]["name"])
	e.scalar(&hostname, `SELECT hostname FROM hosts WHERE id = $1`, h.id)
	assert.Equal(t, "web-1.new.example.com", hostname)
}

// hostPackageState is what a host's package rows look like, with their write times.
func (e *env) hostPackageState(hostID any) map[string][2]string {
	e.t.Helper()
	rows, err := e.pool.Query(context.Background(), `
SELECT p.name, hp.current_version, hp.updated_at::text FROM host_packages hp JOIN packages p ON p.id = hp.package_id
WHERE hp.host_id = $1`, hostID)
	require.NoError(e.t, err)
	defer rows.Close()
	out := map[string][2]string{}
	for rows.Next() {
		var n, v, at string
		require.NoError(e.t, rows.Scan(&n, &v, &at))
		out[n] = [2]string{v, at}
	}
	require.NoError(e.t, rows.Err())
	return out
}

func TestDiffBasedWrites(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("web-1")
	pkgs := packages(100, "")
	require.Equal(t, http.StatusOK, e.do(&h, "POST", "/api/v1/hosts/update", fullReport(pkgs)).status)
	before := e.hostPackageState(h.id)

	next := append([]agentproto.Package(nil), pkgs[2:]...) // pkg-00000 and pkg-00001 removed
	for i := 0; i < 5; i++ {
		next[i*10].CurrentVersion = "2.0-1" // 5 changed
	}
	next = append(next, packages(3, "new-")...) // 3 added
	resp := e.do(&h, "POST", "/api/v1/hosts/update", fullReport(next))
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)

	after := e.hostPackageState(h.id)
	assert.Len(t, after, 101)
	unchanged := 0
	for name, st := range after {
		if b, ok := before[name]; ok && b == st {
			unchanged++
		}
	}
	assert.Equal(t, 93, unchanged, "only the five changed rows are rewritten")
	var changed int
	e.scalar(&changed, `SELECT changed_packages FROM update_history WHERE host_id = $1 ORDER BY created_at DESC LIMIT 1`, h.id)
	assert.Equal(t, 10, changed, "2 deleted + 5 updated + 3 inserted")
	assert.Equal(t, 103, e.count(`SELECT count(*) FROM packages`), "catalogue rows stay when a host drops a package")
}

func TestRetryIsIdempotent(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("web-1")
	body, err := json.Marshal(fullReport(packages(200, "")))
	require.NoError(t, err)

	first := e.do(&h, "POST", "/api/v1/hosts/update", body)
	require.Equal(t, http.StatusOK, first.status)
	state := e.hostPackageState(h.id)
	var reportAt time.Time
	e.scalar(&reportAt, `SELECT last_report_at FROM hosts WHERE id = $1`, h.id)

	// The stock agent retries a POST after a transport error with the same body.
	second := e.do(&h, "POST", "/api/v1/hosts/update", body)
	require.Equal(t, http.StatusOK, second.status)
	assert.JSONEq(t, string(first.body), string(second.body), "a retry gets the original answer")
	assert.Equal(t, state, e.hostPackageState(h.id))
	assert.Equal(t, 1, e.count(`SELECT count(*) FROM update_history WHERE host_id = $1`, h.id), "a retry is not a second report")
	var reportAt2 time.Time
	e.scalar(&reportAt2, `SELECT last_report_at FROM hosts WHERE id = $1`, h.id)
	assert.True(t, reportAt.Equal(reportAt2), "a retry changes nothing")

	// The same inventory in a different body (a later tick) writes no package rows.
	rep := fullReport(packages(200, ""))
	rep.SystemUptime = "4 days"
	resp := e.do(&h, "POST", "/api/v1/hosts/update", rep)
	require.Equal(t, http.StatusOK, resp.status)
	assert.Equal(t, state, e.hostPackageState(h.id))
	var changed int
	e.scalar(&changed, `SELECT changed_packages FROM update_history WHERE host_id = $1 ORDER BY created_at DESC LIMIT 1`, h.id)
	assert.Zero(t, changed)
}

func TestInvalidUTF8IsCleaned(t *testing.T) {
	t.Parallel()
	e := setup(t)
	h := e.newHost("web-1")
	// Raw JSON: encoding/json would escape the bytes; agents written in other languages
	// and proxies do not.
	body := "{\"packages\":[{\"name\":\"libbad\",\"description\":\"caf\xe9 \\u0000 bytes\\u0000\",\"currentVersion\":\"1.0\"," +
		"\"needsUpdate\":false,\"isSecurityUpdate\":false}],\"hostname\":\"host\\u0000name\",\"osType\":\"Debian\"}"
	resp := e.do(&h, "POST", "/api/v1/hosts/update", body)
	require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
	var desc, hostname string
	e.scalar(&desc, `SELECT description FROM packages WHERE name = 'libbad'`)
	e.scalar(&hostname, `SELECT hostname FROM hosts WHERE id = $1`, h.id)
	assert.Equal(t, "caf\uFFFD  bytes", desc)
	assert.Equal(t, "hostname", hostname)
}

// TestConcurrentNewPackages sends 200 first reports that introduce the same new packages
// at the same moment: the shared-row protocol must neither deadlock nor fail.
func TestConcurrentNewPackages(t *testing.T) {
	t.Parallel()
	e := setup(t)
	const hosts = 200
	hs := make([]host, hosts)
	var wg sync.WaitGroup
	// Creating the hosts is not what is tested: a few at a time, so that a busy machine
	// does not turn their bcrypt and inserts into pool timeouts.
	slots := make(chan struct{}, 8)
	for i := range hs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			hs[i] = e.newHost(fmt.Sprintf("host-%03d", i))
		}()
	}
	wg.Wait()
	// Every host has the same 300 packages, listed in a host-specific order, plus a few
	// of its own: lock order must not depend on report order.
	bodies := make([][]byte, hosts)
	for i := range bodies {
		pkgs := packages(300, "shared-")
		for j := range pkgs {
			k := (j*7 + i) % len(pkgs)
			pkgs[j], pkgs[k] = pkgs[k], pkgs[j]
		}
		pkgs = append(pkgs, packages(3, fmt.Sprintf("own%03d-", i))...)
		b, err := json.Marshal(fullReport(pkgs))
		require.NoError(t, err)
		bodies[i] = b
	}
	start := make(chan struct{})
	errs := make(chan string, hosts)
	for i := range hs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp := e.do(&hs[i], "POST", "/api/v1/hosts/update", bodies[i])
			if resp.status != http.StatusOK {
				errs <- fmt.Sprintf("host %d: %d %s", i, resp.status, resp.body)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	assert.Equal(t, 300+3*hosts, e.count(`SELECT count(*) FROM packages`))
	assert.Equal(t, hosts*303, e.count(`SELECT count(*) FROM host_packages`))
	assert.Equal(t, 2, e.count(`SELECT count(*) FROM repositories`))
	assert.Equal(t, hosts, e.count(`SELECT count(*) FROM update_history WHERE status = 'success'`))
	assert.Zero(t, e.count(`SELECT count(*) FROM update_history WHERE status = 'error'`))
}

// hashVector is one entry of agentproto's copy of spec/hash-vectors.json.
type hashVector struct {
	Name   string          `json:"name"`
	Kind   string          `json:"kind"`
	Input  json.RawMessage `json:"input"`
	SHA256 string          `json:"sha256"`
}

// TestHashVectorsThroughHTTP sends each vector's input as an agent would, without
// hashes, and checks that the server stores the vector's hash and that a ping reporting
// it finds the section fresh.
func TestHashVectorsThroughHTTP(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../agentproto/testdata/hash-vectors.json")
	require.NoError(t, err)
	var vectors []hashVector
	require.NoError(t, json.Unmarshal(raw, &vectors))
	e := setup(t)
	kinds := map[string]int{}
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			h := e.newHost(v.Name)
			var (
				section, column string
				ping            agentproto.PingHashes
			)
			body := map[string]any{}
			switch v.Kind {
			case "packages":
				section, column, ping.PackagesHash = "packages", "packages_hash", v.SHA256
				body["packages"] = v.Input
			case "repositories":
				section, column, ping.ReposHash = "repos", "repos_hash", v.SHA256
				body["repositories"] = v.Input
			case "networkInterfaces":
				section, column, ping.InterfacesHash = "interfaces", "interfaces_hash", v.SHA256
				body["networkInterfaces"] = v.Input
			case "hostname":
				section, column, ping.HostnameHash = "hostname", "hostname_hash", v.SHA256
				body["hostname"] = v.Input
			default:
				// Docker data travels on integrations/docker, not in reports.
				return
			}
			kinds[v.Kind]++
			body["sections"] = []string{section}
			resp := e.do(&h, "POST", "/api/v1/hosts/update", body)
			if v.Kind == "packages" && string(v.Input) == "[]" {
				// An empty package list is never applied (it would wipe the inventory).
				require.Equal(t, http.StatusBadRequest, resp.status, "%s", resp.body)
				return
			}
			require.Equal(t, http.StatusOK, resp.status, "%s", resp.body)
			var stored string
			e.scalar(&stored, `SELECT `+column+` FROM hosts WHERE id = $1`, h.id)
			assert.Equal(t, v.SHA256, stored)
			resp = e.do(&h, "POST", "/api/v1/hosts/ping", agentproto.PingRequest{Hashes: ping})
			require.Equal(t, http.StatusOK, resp.status)
			assert.NotContains(t, resp.json(t)["requestFull"], section)
		})
	}
	assert.Equal(t, map[string]int{"packages": 5, "repositories": 2, "networkInterfaces": 1, "hostname": 1}, kinds)
}
