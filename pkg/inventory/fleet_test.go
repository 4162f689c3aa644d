package inventory_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
	"github.com/patchmon-go/patchmon/pkg/auth/authtest"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// fleetEnv is a real server with an administrator, seeded through the agent API.
type fleetEnv struct {
	t     *testing.T
	ctx   context.Context
	url   string
	c     *openapi.ClientWithResponses
	admin authtest.Session
}

func newFleet(t *testing.T) *fleetEnv {
	t.Helper()
	cfg := patchmon.DefaultConfig()
	cfg.PasswordHashCost = 4
	cfg.RateLimitMax, cfg.AgentRateLimitMax = 1_000_000, 1_000_000
	srv := patchmontest.NewServer(t, cfg)
	return &fleetEnv{t: t, ctx: t.Context(), url: srv.URL, c: srv.Client, admin: authtest.Setup(t, srv.URL)}
}

func (f *fleetEnv) as() openapi.RequestEditorFn { return f.admin.Bearer() }

// agentHost is a host created through the API, with its agent credentials.
type agentHost struct {
	id            uuid.UUID
	apiID, apiKey string
}

// addHost creates a host in groups and sends its agent's full report.
func (f *fleetEnv) addHost(name string, groups []uuid.UUID, rep agentproto.Report) agentHost {
	f.t.Helper()
	body := openapi.CreateHostJSONRequestBody{FriendlyName: name}
	if len(groups) > 0 {
		body.HostGroupIds = &groups
	}
	res, err := f.c.CreateHostWithResponse(f.ctx, body, f.as())
	require.NoError(f.t, err)
	require.Equal(f.t, http.StatusCreated, res.StatusCode(), "%s", res.Body)
	h := agentHost{id: res.JSON201.HostId, apiID: res.JSON201.ApiId, apiKey: res.JSON201.ApiKey}
	rep.Hostname = name + ".example.com"
	f.report(h, rep)
	return h
}

// report sends a full report as h's agent.
func (f *fleetEnv) report(h agentHost, rep agentproto.Report) {
	f.t.Helper()
	raw, err := json.Marshal(rep)
	require.NoError(f.t, err)
	req, err := http.NewRequestWithContext(f.ctx, http.MethodPost, f.url+"/api/v1/hosts/update", bytes.NewReader(raw))
	require.NoError(f.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(agentproto.HeaderAPIID, h.apiID)
	req.Header.Set(agentproto.HeaderAPIKey, h.apiKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(f.t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(f.t, http.StatusOK, resp.StatusCode, "%s", b)
}

// get fetches path as the administrator and returns the status and body.
func (f *fleetEnv) get(path string) (int, []byte, http.Header) {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.ctx, http.MethodGet, f.url+path, nil)
	require.NoError(f.t, err)
	req.Header.Set("Authorization", f.admin.Header())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(f.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(f.t, err)
	return resp.StatusCode, b, resp.Header
}

func errorBody(t *testing.T, raw []byte) openapi.Error {
	t.Helper()
	var e openapi.Error
	require.NoError(t, json.Unmarshal(raw, &e), "%s", raw)
	return e
}

func pkg(name, category, version string) agentproto.Package {
	return agentproto.Package{Name: name, Category: category, Description: name + " package", CurrentVersion: version}
}

func outdated(p agentproto.Package, available string, security bool) agentproto.Package {
	p.NeedsUpdate, p.AvailableVersion, p.IsSecurityUpdate = true, available, security
	return p
}

var (
	repoDebian   = agentproto.Repository{Name: "debian", URL: "http://deb.debian.org/debian", Distribution: "bookworm", Components: "main", RepoType: "deb", IsEnabled: true}
	repoSecurity = agentproto.Repository{Name: "debian-security", URL: "https://security.debian.org/debian-security", Distribution: "bookworm-security", Components: "main", RepoType: "deb", IsEnabled: true, IsSecure: true}
	repoVendor   = agentproto.Repository{Name: "vendor", URL: "https://packages.example.com/repo", Distribution: "stable", Components: "main", RepoType: "deb", IsEnabled: false, IsSecure: true}
)

// seed reports three hosts:
//
//	alpha:   openssl 3.0.1 → 3.0.2 (security), curl 7.0, nginx 1.2 → 1.3
//	bravo:   openssl 3.0.2, curl 7.0 → 7.1 (security)
//	charlie: openssl 3.0.1 → 3.0.2 (security), vim 9.0
func (f *fleetEnv) seed(groups ...uuid.UUID) (alpha, bravo, charlie agentHost) {
	rep := func(repos []agentproto.Repository, pkgs ...agentproto.Package) agentproto.Report {
		r := fullReport(pkgs)
		r.Repositories = repos
		return r
	}
	alpha = f.addHost("alpha", groups, rep([]agentproto.Repository{repoDebian, repoSecurity},
		outdated(pkg("openssl", "libs", "3.0.1"), "3.0.2", true), pkg("curl", "web", "7.0"),
		outdated(pkg("nginx", "web", "1.2"), "1.3", false)))
	bravo = f.addHost("bravo", nil, rep([]agentproto.Repository{repoDebian, repoSecurity},
		pkg("openssl", "libs", "3.0.2"), outdated(pkg("curl", "web", "7.0"), "7.1", true)))
	charlie = f.addHost("charlie", groups, rep([]agentproto.Repository{repoVendor},
		outdated(pkg("openssl", "libs", "3.0.1"), "3.0.2", true), pkg("vim", "editors", "9.0")))
	return alpha, bravo, charlie
}

func TestHostGroups(t *testing.T) {
	t.Parallel()
	f := newFleet(t)

	created, err := f.c.CreateHostGroupWithResponse(f.ctx, openapi.HostGroupInput{Name: "  Production ",
		Description: ptr("Customer-facing"), Color: ptr("#10b981")}, f.as())
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.StatusCode(), "%s", created.Body)
	prod := *created.JSON201
	assert.Equal(t, "Production", prod.Name)
	assert.Equal(t, "#10b981", prod.Color)
	assert.Equal(t, 0, prod.HostsCount)

	plain, err := f.c.CreateHostGroupWithResponse(f.ctx, openapi.HostGroupInput{Name: "Staging"}, f.as())
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, plain.StatusCode())
	assert.Equal(t, "#3B82F6", plain.JSON201.Color, "default colour")

	for _, tc := range []struct {
		name  string
		in    openapi.HostGroupInput
		field string
	}{
		{"blank name", openapi.HostGroupInput{Name: "   "}, "name"},
		{"long name", openapi.HostGroupInput{Name: strings.Repeat("x", 101)}, "name"},
		{"colour name", openapi.HostGroupInput{Name: "a", Color: ptr("red")}, "color"},
		{"short hex", openapi.HostGroupInput{Name: "a", Color: ptr("#fff")}, "color"},
		{"bad hex", openapi.HostGroupInput{Name: "a", Color: ptr("#12345g")}, "color"},
		{"long description", openapi.HostGroupInput{Name: "a", Description: ptr(strings.Repeat("d", 501))}, "description"},
	} {
		res, err := f.c.CreateHostGroupWithResponse(f.ctx, tc.in, f.as())
		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, res.StatusCode(), tc.name)
		assert.Equal(t, tc.field, *errorBody(t, res.Body).Field, tc.name)
	}

	dup, err := f.c.CreateHostGroupWithResponse(f.ctx, openapi.HostGroupInput{Name: "Production"}, f.as())
	require.NoError(t, err)
	assert.Equal(t, http.StatusConflict, dup.StatusCode())
	e := errorBody(t, dup.Body)
	assert.Equal(t, "A host group with this name already exists", e.Error)
	assert.Equal(t, "host_group_name_taken", *e.Code)

	alpha, _, charlie := f.seed(prod.Id)

	list, err := f.c.ListHostGroupsWithResponse(f.ctx, f.as())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, list.StatusCode())
	require.Len(t, list.JSON200.HostGroups, 2)
	assert.Equal(t, "Production", list.JSON200.HostGroups[0].Name, "by name")
	assert.Equal(t, 2, list.JSON200.HostGroups[0].HostsCount)
	assert.Equal(t, 0, list.JSON200.HostGroups[1].HostsCount)

	// Rename to a taken name, then a free one; recolour.
	taken, err := f.c.UpdateHostGroupWithResponse(f.ctx, prod.Id, openapi.HostGroupUpdate{Name: ptr("Staging")}, f.as())
	require.NoError(t, err)
	assert.Equal(t, http.StatusConflict, taken.StatusCode())
	upd, err := f.c.UpdateHostGroupWithResponse(f.ctx, prod.Id, openapi.HostGroupUpdate{Name: ptr("Prod"), Color: ptr("#EF4444")}, f.as())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, upd.StatusCode(), "%s", upd.Body)
	assert.Equal(t, "Prod", upd.JSON200.Name)
	assert.Equal(t, "#EF4444", upd.JSON200.Color)
	assert.Equal(t, "Customer-facing", upd.JSON200.Description, "kept")
	assert.Equal(t, 2, upd.JSON200.HostsCount)
	bad, err := f.c.UpdateHostGroupWithResponse(f.ctx, prod.Id, openapi.HostGroupUpdate{Color: ptr("blue")}, f.as())
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, bad.StatusCode())
	missing, err := f.c.UpdateHostGroupWithResponse(f.ctx, uuid.New(), openapi.HostGroupUpdate{Name: ptr("x")}, f.as())
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, missing.StatusCode())

	// The members, searched and paged.
	hosts, err := f.c.ListHostGroupHostsWithResponse(f.ctx, prod.Id, &openapi.ListHostGroupHostsParams{Limit: ptr(1)}, f.as())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, hosts.StatusCode(), "%s", hosts.Body)
	assert.Equal(t, 2, hosts.JSON200.Total)
	require.Len(t, hosts.JSON200.Hosts, 1)
	assert.Equal(t, alpha.id, hosts.JSON200.Hosts[0].Id)
	assert.Equal(t, 2, hosts.JSON200.Hosts[0].OutdatedPackages)
	assert.Equal(t, 1, hosts.JSON200.Hosts[0].SecurityUpdates)
	assert.NotNil(t, hosts.JSON200.Hosts[0].LastUpdate)
	hosts, err = f.c.ListHostGroupHostsWithResponse(f.ctx, prod.Id, &openapi.ListHostGroupHostsParams{Limit: ptr(1), Offset: ptr(1)}, f.as())
	require.NoError(t, err)
	assert.Equal(t, charlie.id, hosts.JSON200.Hosts[0].Id)
	hosts, err = f.c.ListHostGroupHostsWithResponse(f.ctx, prod.Id, &openapi.ListHostGroupHostsParams{Search: ptr("CHAR")}, f.as())
	require.NoError(t, err)
	assert.Equal(t, 1, hosts.JSON200.Total)

	// Deleting lists the members, which stay.
	del, err := f.c.DeleteHostGroupWithResponse(f.ctx, prod.Id, f.as())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, del.StatusCode(), "%s", del.Body)
	require.Len(t, del.JSON200.AffectedHosts, 2)
	assert.Equal(t, "alpha", del.JSON200.AffectedHosts[0].FriendlyName)
	assert.Equal(t, charlie.id, del.JSON200.AffectedHosts[1].Id)
	assert.Equal(t, 2, del.JSON200.Group.HostsCount)
	gone, err := f.c.GetHostGroupWithResponse(f.ctx, prod.Id, f.as())
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, gone.StatusCode())
	again, err := f.c.DeleteHostGroupWithResponse(f.ctx, prod.Id, f.as())
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, again.StatusCode())
	pkgHosts, err := f.c.ListPackageHostsWithResponse(f.ctx, packageID(t, f, "openssl"), nil, f.as())
	require.NoError(t, err)
	assert.Equal(t, 3, pkgHosts.JSON200.Total, "the hosts were kept")

	assert.Equal(t, []string{"host_group.deleted Prod", "host_group.updated Prod", "host_group.created Staging",
		"host_group.created Production"}, f.audit("host_group."))
}

// audit lists the audit log entries of an event family, newest first, as "event target".
func (f *fleetEnv) audit(prefix string) []string {
	f.t.Helper()
	res, err := f.c.AuthAuditLogWithResponse(f.ctx, &openapi.AuthAuditLogParams{Event: &prefix}, f.as())
	require.NoError(f.t, err)
	require.Equal(f.t, http.StatusOK, res.StatusCode(), "%s", res.Body)
	out := []string{}
	for _, e := range res.JSON200.Events {
		assert.Equal(f.t, f.admin.Username, e.ActorUsername, e.Event)
		out = append(out, e.Event+" "+e.TargetName)
	}
	return out
}

func packageID(t *testing.T, f *fleetEnv, name string) uuid.UUID {
	t.Helper()
	res, err := f.c.ListPackagesWithResponse(f.ctx, &openapi.ListPackagesParams{Search: &name}, f.as())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "%s", res.Body)
	for _, p := range res.JSON200.Packages {
		if p.Name == name {
			return p.Id
		}
	}
	t.Fatalf("package %s not listed", name)
	return uuid.Nil
}

func pkgNames(pkgs []openapi.FleetPackage) []string {
	out := make([]string, len(pkgs))
	for i, p := range pkgs {
		out[i] = p.Name
	}
	return out
}

func TestPackageList(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	f.seed()

	list := func(p openapi.ListPackagesParams) *openapi.FleetPackageList {
		t.Helper()
		res, err := f.c.ListPackagesWithResponse(f.ctx, &p, f.as())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), "%s", res.Body)
		return res.JSON200
	}
	all := list(openapi.ListPackagesParams{})
	assert.Equal(t, 4, all.Total)
	assert.Equal(t, []string{"curl", "nginx", "openssl", "vim"}, pkgNames(all.Packages))
	assert.Equal(t, []string{"editors", "libs", "web"}, all.Categories)
	assert.Equal(t, 50, all.Limit)
	byName := map[string]openapi.FleetPackage{}
	for _, p := range all.Packages {
		byName[p.Name] = p
	}
	assert.Equal(t, [3]int{3, 2, 2}, counts(byName["openssl"]))
	assert.Equal(t, [3]int{2, 1, 1}, counts(byName["curl"]))
	assert.Equal(t, [3]int{1, 1, 0}, counts(byName["nginx"]))
	assert.Equal(t, [3]int{1, 0, 0}, counts(byName["vim"]))
	assert.Equal(t, "libs", byName["openssl"].Category)

	assert.Equal(t, []string{"curl", "nginx", "openssl"}, pkgNames(list(openapi.ListPackagesParams{NeedsUpdate: ptr(true)}).Packages))
	assert.Equal(t, []string{"curl", "openssl"}, pkgNames(list(openapi.ListPackagesParams{SecurityOnly: ptr(true)}).Packages))
	assert.Equal(t, []string{"curl", "nginx"}, pkgNames(list(openapi.ListPackagesParams{Category: ptr("web")}).Packages))
	assert.Equal(t, []string{"nginx"}, pkgNames(list(openapi.ListPackagesParams{Category: ptr("web"), NeedsUpdate: ptr(true), Search: ptr("NG")}).Packages))
	assert.Equal(t, []string{"openssl"}, pkgNames(list(openapi.ListPackagesParams{Search: ptr("openssl pack")}).Packages), "description matches")
	assert.Empty(t, list(openapi.ListPackagesParams{Search: ptr("%")}).Packages, "LIKE wildcards are literal")

	sorted := func(sort openapi.ListPackagesParamsSort, order *openapi.ListPackagesParamsOrder) []string {
		return pkgNames(list(openapi.ListPackagesParams{Sort: &sort, Order: order}).Packages)
	}
	asc, desc := openapi.ListPackagesParamsOrderAsc, openapi.ListPackagesParamsOrderDesc
	assert.Equal(t, []string{"openssl", "curl", "nginx", "vim"}, sorted(openapi.ListPackagesParamsSortHosts, nil), "most installed first")
	assert.Equal(t, []string{"nginx", "vim", "curl", "openssl"}, sorted(openapi.ListPackagesParamsSortHosts, &asc))
	assert.Equal(t, []string{"openssl", "curl", "nginx", "vim"}, sorted(openapi.ListPackagesParamsSortUpdates, nil))
	assert.Equal(t, []string{"openssl", "curl", "nginx", "vim"}, sorted(openapi.ListPackagesParamsSortSecurity, nil))
	assert.Equal(t, []string{"vim", "openssl", "nginx", "curl"}, sorted(openapi.ListPackagesParamsSortName, &desc))
	assert.Equal(t, []string{"vim", "openssl", "curl", "nginx"}, sorted(openapi.ListPackagesParamsSortCategory, nil))

	page := list(openapi.ListPackagesParams{Limit: ptr(2), Offset: ptr(2)})
	assert.Equal(t, 4, page.Total)
	assert.Equal(t, []string{"openssl", "vim"}, pkgNames(page.Packages))
	past := list(openapi.ListPackagesParams{Limit: ptr(2), Offset: ptr(10)})
	assert.Equal(t, 4, past.Total)
	assert.Empty(t, past.Packages)

	for _, q := range []string{"sort=popularity", "limit=0", "limit=501", "offset=-1", "needs_update=maybe"} {
		status, body, _ := f.get("/api/v1/packages?" + q)
		assert.Equal(t, http.StatusBadRequest, status, "%s: %s", q, body)
	}
}

func counts(p openapi.FleetPackage) [3]int {
	return [3]int{p.HostsCount, p.OutdatedHostsCount, p.SecurityHostsCount}
}

func TestPackageDetail(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	alpha, bravo, charlie := f.seed()
	id := packageID(t, f, "openssl")

	res, err := f.c.GetPackageWithResponse(f.ctx, id, f.as())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "%s", res.Body)
	d := res.JSON200
	assert.Equal(t, "openssl", d.Name)
	assert.Equal(t, [4]int{3, 2, 2, 1}, [4]int{d.HostsCount, d.OutdatedHostsCount, d.SecurityHostsCount, d.UpToDateHostsCount})
	require.Len(t, d.Versions, 2)
	assert.Equal(t, "3.0.1", d.Versions[0].Version)
	assert.Equal(t, 2, d.Versions[0].Count)

	hosts, err := f.c.ListPackageHostsWithResponse(f.ctx, id, nil, f.as())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, hosts.StatusCode(), "%s", hosts.Body)
	require.Len(t, hosts.JSON200.Hosts, 3)
	got := hosts.JSON200.Hosts
	assert.Equal(t, []uuid.UUID{alpha.id, charlie.id, bravo.id}, []uuid.UUID{got[0].Id, got[1].Id, got[2].Id}, "security updates first")
	assert.True(t, got[0].IsSecurityUpdate)
	assert.Equal(t, "3.0.1", got[0].CurrentVersion)
	assert.Equal(t, "3.0.2", *got[0].AvailableVersion)
	assert.Nil(t, got[2].AvailableVersion, "up to date")
	assert.Equal(t, "alpha.example.com", *got[0].Hostname)

	byName := openapi.ListPackageHostsParamsSortName
	hosts, err = f.c.ListPackageHostsWithResponse(f.ctx, id, &openapi.ListPackageHostsParams{Sort: &byName, Limit: ptr(2), Offset: ptr(1)}, f.as())
	require.NoError(t, err)
	assert.Equal(t, 3, hosts.JSON200.Total)
	require.Len(t, hosts.JSON200.Hosts, 2)
	assert.Equal(t, bravo.id, hosts.JSON200.Hosts[0].Id)
	hosts, err = f.c.ListPackageHostsWithResponse(f.ctx, id, &openapi.ListPackageHostsParams{NeedsUpdate: ptr(true), Search: ptr("ALPHA")}, f.as())
	require.NoError(t, err)
	assert.Equal(t, 1, hosts.JSON200.Total)

	missing, err := f.c.GetPackageWithResponse(f.ctx, uuid.New(), f.as())
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, missing.StatusCode())
	assert.Equal(t, "Package not found", errorBody(t, missing.Body).Error)
	missingHosts, err := f.c.ListPackageHostsWithResponse(f.ctx, uuid.New(), nil, f.as())
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, missingHosts.StatusCode())
	status, _, _ := f.get("/api/v1/packages/not-a-uuid")
	assert.Equal(t, http.StatusBadRequest, status)
}

func TestRepositories(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	alpha, _, charlie := f.seed()

	list := func(p openapi.ListRepositoriesParams) *openapi.RepositoryList {
		t.Helper()
		res, err := f.c.ListRepositoriesWithResponse(f.ctx, &p, f.as())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), "%s", res.Body)
		return res.JSON200
	}
	repoNames := func(l *openapi.RepositoryList) []string {
		out := []string{}
		for _, r := range l.Repositories {
			out = append(out, r.Name)
		}
		return out
	}
	all := list(openapi.ListRepositoriesParams{})
	assert.Equal(t, 3, all.Total)
	assert.Equal(t, []string{"debian", "debian-security", "vendor"}, repoNames(all))
	deb := all.Repositories[0]
	assert.Equal(t, 2, deb.HostsCount)
	assert.Equal(t, 2, deb.EnabledHostsCount)
	assert.False(t, deb.IsSecure)
	assert.True(t, deb.IsActive)
	vendor := all.Repositories[2]
	assert.Equal(t, 1, vendor.HostsCount)
	assert.Equal(t, 0, vendor.EnabledHostsCount, "disabled on the host")
	assert.True(t, vendor.IsSecure)

	assert.Equal(t, []string{"debian-security", "vendor"}, repoNames(list(openapi.ListRepositoriesParams{Secure: ptr(true)})))
	assert.Equal(t, []string{"debian"}, repoNames(list(openapi.ListRepositoriesParams{Secure: ptr(false)})))
	assert.Equal(t, []string{"vendor"}, repoNames(list(openapi.ListRepositoriesParams{Search: ptr("EXAMPLE.com")})))
	hostsSort := openapi.ListRepositoriesParamsSortHosts
	asc := openapi.ListRepositoriesParamsOrderAsc
	assert.Equal(t, []string{"vendor", "debian", "debian-security"}, repoNames(list(openapi.ListRepositoriesParams{Sort: &hostsSort, Order: &asc})))
	page := list(openapi.ListRepositoriesParams{Limit: ptr(1), Offset: ptr(1)})
	assert.Equal(t, 3, page.Total)
	assert.Equal(t, []string{"debian-security"}, repoNames(page))

	one, err := f.c.GetRepositoryWithResponse(f.ctx, deb.Id, f.as())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, one.StatusCode())
	assert.Equal(t, "http://deb.debian.org/debian", one.JSON200.Url)

	hosts, err := f.c.ListRepositoryHostsWithResponse(f.ctx, vendor.Id, nil, f.as())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, hosts.StatusCode(), "%s", hosts.Body)
	require.Len(t, hosts.JSON200.Hosts, 1)
	assert.Equal(t, charlie.id, hosts.JSON200.Hosts[0].Id)
	assert.False(t, hosts.JSON200.Hosts[0].IsEnabled)
	hosts, err = f.c.ListRepositoryHostsWithResponse(f.ctx, deb.Id, &openapi.ListRepositoryHostsParams{Limit: ptr(1)}, f.as())
	require.NoError(t, err)
	assert.Equal(t, 2, hosts.JSON200.Total)
	assert.Equal(t, alpha.id, hosts.JSON200.Hosts[0].Id)

	// Disable, rename; the change survives the next report.
	upd, err := f.c.UpdateRepositoryWithResponse(f.ctx, deb.Id, openapi.RepositoryUpdate{IsActive: ptr(false), Name: ptr("Debian main")}, f.as())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, upd.StatusCode(), "%s", upd.Body)
	assert.False(t, upd.JSON200.IsActive)
	assert.Equal(t, "Debian main", upd.JSON200.Name)
	f.addHost("delta", nil, fullReportWith([]agentproto.Repository{repoDebian}))
	again := list(openapi.ListRepositoriesParams{Active: ptr(false)})
	require.Len(t, again.Repositories, 1)
	assert.Equal(t, 3, again.Repositories[0].HostsCount)
	bad, err := f.c.UpdateRepositoryWithResponse(f.ctx, deb.Id, openapi.RepositoryUpdate{Name: ptr(" ")}, f.as())
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, bad.StatusCode())
	assert.Equal(t, "name", *errorBody(t, bad.Body).Field)

	// A repository in use cannot be deleted; an unused one can.
	inUse, err := f.c.DeleteRepositoryWithResponse(f.ctx, vendor.Id, f.as())
	require.NoError(t, err)
	assert.Equal(t, http.StatusConflict, inUse.StatusCode())
	assert.Equal(t, "repository_in_use", *errorBody(t, inUse.Body).Code)
	// charlie's agent reports that the repository is gone from the host.
	f.report(charlie, fullReportWith([]agentproto.Repository{repoSecurity}))
	del, err := f.c.DeleteRepositoryWithResponse(f.ctx, vendor.Id, f.as())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, del.StatusCode(), "%s", del.Body)
	assert.Equal(t, "vendor", del.JSON200.Repository.Name)
	gone, err := f.c.GetRepositoryWithResponse(f.ctx, vendor.Id, f.as())
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, gone.StatusCode())
	assert.Equal(t, "Repository not found", errorBody(t, gone.Body).Error)
	assert.Equal(t, []string{"repository.deleted vendor", "repository.updated Debian main"}, f.audit("repository."))
}

func fullReportWith(repos []agentproto.Repository) agentproto.Report {
	r := fullReport([]agentproto.Package{pkg("bash", "shells", "5.2")})
	r.Repositories = repos
	return r
}

func TestExportPackages(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	alpha, _, _ := f.seed()

	status, body, hdr := f.get("/api/v1/packages/export")
	require.Equal(t, http.StatusOK, status, "%s", body)
	assert.Equal(t, "text/csv; charset=utf-8", hdr.Get("Content-Type"))
	assert.Contains(t, hdr.Get("Content-Disposition"), `attachment; filename="patchmon-packages-`)
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 1+7)
	assert.Equal(t, []string{"host_id", "host", "hostname", "ip", "os_type", "os_version", "package", "category",
		"current_version", "available_version", "needs_update", "is_security_update", "source_repository"}, recs[0])
	assert.Equal(t, []string{alpha.id.String(), "alpha", "alpha.example.com", "192.0.2.10", "Debian", "12", "curl", "web",
		"7.0", "", "false", "false", ""}, recs[1])
	assert.Equal(t, []string{"alpha", "nginx", "1.3", "true", "false"}, []string{recs[2][1], recs[2][6], recs[2][9], recs[2][10], recs[2][11]})
	assert.Equal(t, "bravo", recs[4][1])

	status, body, hdr = f.get("/api/v1/packages/export?format=json&security_only=true")
	require.Equal(t, http.StatusOK, status, "%s", body)
	assert.Equal(t, "application/json", hdr.Get("Content-Type"))
	var rows []openapi.PackageExportRow
	require.NoError(t, json.Unmarshal(body, &rows), "%s", body)
	require.Len(t, rows, 3)
	assert.Equal(t, "openssl", rows[0].Package)
	assert.True(t, rows[0].IsSecurityUpdate)
	assert.Equal(t, "curl", rows[1].Package)
	assert.Equal(t, "charlie", rows[2].Host)

	status, body, _ = f.get("/api/v1/packages/export?format=json&needs_update=true&security_only=false")
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, json.Unmarshal(body, &rows))
	assert.Len(t, rows, 4)

	status, body, _ = f.get("/api/v1/packages/export?format=xml")
	assert.Equal(t, http.StatusBadRequest, status, "%s", body)

	// A readonly user may view packages but not export them.
	ro := authtest.CreateUser(t, f.url, f.admin, users.RoleReadonly)
	assert.Equal(t, http.StatusForbidden, authtest.Call(t, http.MethodGet, f.url+"/api/v1/packages/export", ro.Header(), nil, nil))
	assert.Equal(t, http.StatusOK, authtest.Call(t, http.MethodGet, f.url+"/api/v1/packages", ro.Header(), nil, nil))
	assert.Equal(t, http.StatusForbidden, authtest.Call(t, http.MethodPost, f.url+"/api/v1/host-groups", ro.Header(),
		map[string]string{"name": "x"}, nil))
}

func TestExportEmptyFleet(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	status, body, _ := f.get("/api/v1/packages/export")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "host_id,host,hostname,ip,os_type,os_version,package,category,current_version,available_version,needs_update,is_security_update,source_repository\n", string(body))
	status, body, _ = f.get("/api/v1/packages/export?format=json")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "[]", string(body))
}

// TestFleetPermissions pins who may call each fleet operation; the authorization matrix
// (patchmon's TestAuthorizationMatrix) checks that the server enforces what is declared.
func TestFleetPermissions(t *testing.T) {
	t.Parallel()
	doc, err := openapi.LoadSpec()
	require.NoError(t, err)
	want := map[string]string{
		"listHostGroups":      users.PermViewHosts,
		"getHostGroup":        users.PermViewHosts,
		"listHostGroupHosts":  users.PermViewHosts,
		"createHostGroup":     users.PermManageHosts,
		"updateHostGroup":     users.PermManageHosts,
		"deleteHostGroup":     users.PermManageHosts,
		"listPackages":        users.PermViewPackages,
		"getPackage":          users.PermViewPackages,
		"listPackageHosts":    users.PermViewPackages,
		"exportPackages":      users.PermExportData,
		"listRepositories":    users.PermViewPackages,
		"getRepository":       users.PermViewPackages,
		"listRepositoryHosts": users.PermViewPackages,
		"updateRepository":    users.PermManagePackages,
		"deleteRepository":    users.PermManagePackages,
	}
	got := map[string]string{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if _, ok := want[op.OperationID]; ok {
				got[op.OperationID], _ = op.Extensions["x-permission"].(string)
			}
		}
	}
	assert.Equal(t, want, got)
}
