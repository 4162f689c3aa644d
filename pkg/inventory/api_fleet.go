package inventory

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// Fleet views: host groups, packages, repositories and the package export, for
// signed-in users. Permissions are enforced by the router from the spec's x-permission.

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func boolOr(p *bool) bool { return p != nil && *p }

func descFrom[T ~string](order *T) *bool {
	if order == nil {
		return nil
	}
	d := *order == "desc"
	return &d
}

// audit records a change to a host group or repository.
func (s *Service) audit(ctx context.Context, event, targetType, id, name string, details map[string]any) {
	s.cfg.Audit(ctx, users.AuditEntry{Event: event, Success: true, TargetType: targetType, TargetID: id,
		TargetName: name, Details: details})
}

func hostGroupOut(g HostGroup) openapi.HostGroup {
	return openapi.HostGroup{Id: g.ID, Name: g.Name, Description: g.Description, Color: g.Color,
		HostsCount: g.HostsCount, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt}
}

func fleetHostOut(h FleetHost) openapi.FleetHost {
	return openapi.FleetHost{Id: h.ID, FriendlyName: h.FriendlyName, Hostname: h.Hostname, Ip: h.IP,
		OsType: h.OSType, OsVersion: h.OSVersion, Status: openapi.FleetHostStatus(h.Status),
		NeedsReboot: h.NeedsReboot, OutdatedPackages: h.OutdatedPackages, SecurityUpdates: h.SecurityUpdates,
		LastUpdate: h.LastUpdate}
}

// ListHostGroups implements GET /api/v1/host-groups.
func (api *API) ListHostGroups(ctx context.Context, _ openapi.ListHostGroupsRequestObject) (openapi.ListHostGroupsResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	groups, err := s.HostGroups(ctx)
	if err != nil {
		return nil, httpError(err)
	}
	out := openapi.ListHostGroups200JSONResponse{HostGroups: make([]openapi.HostGroup, len(groups)), Total: len(groups)}
	for i, g := range groups {
		out.HostGroups[i] = hostGroupOut(g)
	}
	return out, nil
}

// CreateHostGroup implements POST /api/v1/host-groups.
func (api *API) CreateHostGroup(ctx context.Context, req openapi.CreateHostGroupRequestObject) (openapi.CreateHostGroupResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	if req.Body == nil {
		return nil, invalidField("name", "Name is required")
	}
	g, err := s.CreateHostGroup(ctx, HostGroupChange{Name: &req.Body.Name, Description: req.Body.Description, Color: req.Body.Color})
	if err != nil {
		return nil, httpError(err)
	}
	s.audit(ctx, "host_group.created", "host_group", g.ID.String(), g.Name, map[string]any{"color": g.Color})
	return openapi.CreateHostGroup201JSONResponse(hostGroupOut(g)), nil
}

// GetHostGroup implements GET /api/v1/host-groups/{groupId}.
func (api *API) GetHostGroup(ctx context.Context, req openapi.GetHostGroupRequestObject) (openapi.GetHostGroupResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	g, err := s.HostGroup(ctx, req.GroupId)
	if err != nil {
		return nil, httpError(err)
	}
	return openapi.GetHostGroup200JSONResponse(hostGroupOut(g)), nil
}

// UpdateHostGroup implements PUT /api/v1/host-groups/{groupId}.
func (api *API) UpdateHostGroup(ctx context.Context, req openapi.UpdateHostGroupRequestObject) (openapi.UpdateHostGroupResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	var c HostGroupChange
	if req.Body != nil {
		c = HostGroupChange{Name: req.Body.Name, Description: req.Body.Description, Color: req.Body.Color}
	}
	g, err := s.UpdateHostGroup(ctx, req.GroupId, c)
	if err != nil {
		return nil, httpError(err)
	}
	s.audit(ctx, "host_group.updated", "host_group", g.ID.String(), g.Name, map[string]any{"color": g.Color})
	return openapi.UpdateHostGroup200JSONResponse(hostGroupOut(g)), nil
}

// DeleteHostGroup implements DELETE /api/v1/host-groups/{groupId}.
func (api *API) DeleteHostGroup(ctx context.Context, req openapi.DeleteHostGroupRequestObject) (openapi.DeleteHostGroupResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	g, members, err := s.DeleteHostGroup(ctx, req.GroupId)
	if err != nil {
		return nil, httpError(err)
	}
	s.audit(ctx, "host_group.deleted", "host_group", g.ID.String(), g.Name, map[string]any{"hosts": len(members)})
	out := openapi.DeleteHostGroup200JSONResponse{Message: "Host group deleted", Group: hostGroupOut(g),
		AffectedHosts: make([]openapi.FleetHostRef, len(members))}
	for i, h := range members {
		out.AffectedHosts[i] = openapi.FleetHostRef{Id: h.ID, FriendlyName: h.FriendlyName}
	}
	return out, nil
}

// ListHostGroupHosts implements GET /api/v1/host-groups/{groupId}/hosts.
func (api *API) ListHostGroupHosts(ctx context.Context, req openapi.ListHostGroupHostsRequestObject) (openapi.ListHostGroupHostsResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	p := Page{Limit: intOr(req.Params.Limit, 50), Offset: intOr(req.Params.Offset, 0)}
	hosts, total, err := s.HostGroupHosts(ctx, req.GroupId, deref(req.Params.Search), p)
	if err != nil {
		return nil, httpError(err)
	}
	out := openapi.ListHostGroupHosts200JSONResponse{Hosts: make([]openapi.FleetHost, len(hosts)), Total: total,
		Limit: p.Limit, Offset: p.Offset}
	for i, h := range hosts {
		out.Hosts[i] = fleetHostOut(h)
	}
	return out, nil
}

// ListPackages implements GET /api/v1/packages.
func (api *API) ListPackages(ctx context.Context, req openapi.ListPackagesRequestObject) (openapi.ListPackagesResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	prm := req.Params
	q := PackageQuery{
		Search:       deref(prm.Search),
		Category:     deref(prm.Category),
		NeedsUpdate:  boolOr(prm.NeedsUpdate),
		SecurityOnly: boolOr(prm.SecurityOnly),
		Desc:         descFrom(prm.Order),
		Page:         Page{Limit: intOr(prm.Limit, 50), Offset: intOr(prm.Offset, 0)},
	}
	if prm.Sort != nil {
		q.Sort = PackageSort(*prm.Sort)
	}
	pkgs, total, err := s.Packages(ctx, q)
	if err != nil {
		return nil, httpError(err)
	}
	cats, err := s.PackageCategories(ctx)
	if err != nil {
		return nil, err
	}
	out := openapi.ListPackages200JSONResponse{Packages: make([]openapi.FleetPackage, len(pkgs)), Total: total,
		Limit: q.Limit, Offset: q.Offset, Categories: cats}
	for i, p := range pkgs {
		out.Packages[i] = openapi.FleetPackage{Id: p.ID, Name: p.Name, Description: p.Description,
			Category: p.Category, LatestVersion: p.LatestVersion, HostsCount: p.HostsCount,
			OutdatedHostsCount: p.OutdatedHosts, SecurityHostsCount: p.SecurityHosts}
	}
	return out, nil
}

// GetPackage implements GET /api/v1/packages/{packageId}.
func (api *API) GetPackage(ctx context.Context, req openapi.GetPackageRequestObject) (openapi.GetPackageResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	d, err := s.Package(ctx, req.PackageId)
	if err != nil {
		return nil, httpError(err)
	}
	out := openapi.GetPackage200JSONResponse{Id: d.ID, Name: d.Name, Description: d.Description,
		Category: d.Category, LatestVersion: d.LatestVersion, HostsCount: d.HostsCount,
		OutdatedHostsCount: d.OutdatedHosts, SecurityHostsCount: d.SecurityHosts,
		UpToDateHostsCount: d.HostsCount - d.OutdatedHosts, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	out.Versions = make([]struct {
		Count   int    `json:"count"`
		Version string `json:"version"`
	}, len(d.Versions))
	for i, v := range d.Versions {
		out.Versions[i].Count, out.Versions[i].Version = v.Count, v.Version
	}
	return out, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ListPackageHosts implements GET /api/v1/packages/{packageId}/hosts.
func (api *API) ListPackageHosts(ctx context.Context, req openapi.ListPackageHostsRequestObject) (openapi.ListPackageHostsResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	prm := req.Params
	q := PackageHostQuery{
		Search:      deref(prm.Search),
		NeedsUpdate: boolOr(prm.NeedsUpdate),
		ByName:      prm.Sort != nil && *prm.Sort == openapi.ListPackageHostsParamsSortName,
		Page:        Page{Limit: intOr(prm.Limit, 50), Offset: intOr(prm.Offset, 0)},
	}
	hosts, total, err := s.PackageHosts(ctx, req.PackageId, q)
	if err != nil {
		return nil, httpError(err)
	}
	out := openapi.ListPackageHosts200JSONResponse{Hosts: make([]openapi.PackageHost, len(hosts)), Total: total,
		Limit: q.Limit, Offset: q.Offset}
	for i, h := range hosts {
		out.Hosts[i] = openapi.PackageHost{Id: h.ID, FriendlyName: h.FriendlyName, Hostname: h.Hostname,
			Ip: h.IP, OsType: h.OSType, OsVersion: h.OSVersion, Status: openapi.PackageHostStatus(h.Status),
			CurrentVersion: h.CurrentVersion, AvailableVersion: nonEmpty(h.AvailableVersion),
			NeedsUpdate: h.NeedsUpdate, IsSecurityUpdate: h.IsSecurityUpdate, LastChecked: h.LastChecked}
	}
	return out, nil
}

// exportColumns are the CSV header and JSON keys of the export, in order.
var exportColumns = []string{"host_id", "host", "hostname", "ip", "os_type", "os_version", "package",
	"category", "current_version", "available_version", "needs_update", "is_security_update",
	"source_repository"}

// csvCell defuses a value a spreadsheet would run as a formula (it starts with =, +, -,
// @, a tab or a carriage return) by prefixing an apostrophe. Reported names and versions
// come from agents, and an export is typically opened in a spreadsheet. Real package
// names, versions and host names never start with these characters, so nothing
// legitimate changes.
func csvCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// packageExport streams the export while the response is written.
type packageExport struct {
	ctx    context.Context
	svc    *Service
	filter ExportFilter
	json   bool
}

func (e packageExport) VisitExportPackagesResponse(w http.ResponseWriter) error {
	ext, ctype := "csv", "text/csv; charset=utf-8"
	if e.json {
		ext, ctype = "json", "application/json"
	}
	name := "patchmon-packages-" + time.Now().UTC().Format("20060102-150405") + "." + ext
	bw := bufio.NewWriterSize(w, 64<<10)
	var (
		cw      *csv.Writer
		started bool
		n       int
	)
	// start writes the headers once the query runs, so a query that cannot start is
	// still answered with an ordinary error status.
	start := func() error {
		started = true
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		if e.json {
			return bw.WriteByte('[')
		}
		cw = csv.NewWriter(bw)
		return cw.Write(exportColumns)
	}
	var rec [13]string
	err := e.svc.ExportPackages(e.ctx, e.filter, func(r *ExportRow) error {
		if !started {
			if err := start(); err != nil {
				return err
			}
		}
		if e.json {
			if n > 0 {
				if err := bw.WriteByte(','); err != nil {
					return err
				}
			}
			b, err := json.Marshal(openapi.PackageExportRow{HostId: r.HostID, Host: r.Host, Hostname: r.Hostname,
				Ip: r.IP, OsType: r.OSType, OsVersion: r.OSVersion, Package: r.Package, Category: r.Category,
				CurrentVersion: r.CurrentVersion, AvailableVersion: r.AvailableVersion, NeedsUpdate: r.NeedsUpdate,
				IsSecurityUpdate: r.IsSecurityUpdate, SourceRepository: r.SourceRepository})
			if err != nil {
				return err
			}
			_, err = bw.Write(b)
			n++
			return err
		}
		rec = [13]string{r.HostID.String(), csvCell(r.Host), csvCell(r.Hostname), csvCell(r.IP),
			csvCell(r.OSType), csvCell(r.OSVersion), csvCell(r.Package), csvCell(r.Category),
			csvCell(r.CurrentVersion), csvCell(r.AvailableVersion), strconv.FormatBool(r.NeedsUpdate),
			strconv.FormatBool(r.IsSecurityUpdate), csvCell(r.SourceRepository)}
		n++
		return cw.Write(rec[:])
	})
	if err == nil && !started {
		err = start()
	}
	if err != nil {
		if !started {
			return err
		}
		// The status is sent: cut the connection so the client sees a failed download
		// rather than a file that looks complete.
		e.svc.log.ErrorContext(e.ctx, "package export failed", "rows", n, "err", err)
		panic(http.ErrAbortHandler)
	}
	if e.json {
		if err := bw.WriteByte(']'); err != nil {
			return err
		}
	} else {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ExportPackages implements GET /api/v1/packages/export.
func (api *API) ExportPackages(ctx context.Context, req openapi.ExportPackagesRequestObject) (openapi.ExportPackagesResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	prm := req.Params
	return packageExport{ctx: ctx, svc: s,
		filter: ExportFilter{NeedsUpdate: boolOr(prm.NeedsUpdate), SecurityOnly: boolOr(prm.SecurityOnly)},
		json:   prm.Format != nil && *prm.Format == openapi.ExportPackagesParamsFormatJson}, nil
}

func repoOut(r Repository) openapi.Repository {
	return openapi.Repository{Id: r.ID, Name: r.Name, Url: r.URL, Distribution: r.Distribution,
		Components: r.Components, RepoType: r.RepoType, IsSecure: r.IsSecure, IsActive: r.IsActive,
		Description: r.Description, HostsCount: r.HostsCount, EnabledHostsCount: r.EnabledHosts,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// ListRepositories implements GET /api/v1/repositories.
func (api *API) ListRepositories(ctx context.Context, req openapi.ListRepositoriesRequestObject) (openapi.ListRepositoriesResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	prm := req.Params
	q := RepoQuery{Search: deref(prm.Search), Secure: prm.Secure, Active: prm.Active, Desc: descFrom(prm.Order),
		Page: Page{Limit: intOr(prm.Limit, 50), Offset: intOr(prm.Offset, 0)}}
	if prm.Sort != nil {
		q.Sort = RepoSort(*prm.Sort)
	}
	repos, total, err := s.Repositories(ctx, q)
	if err != nil {
		return nil, httpError(err)
	}
	out := openapi.ListRepositories200JSONResponse{Repositories: make([]openapi.Repository, len(repos)),
		Total: total, Limit: q.Limit, Offset: q.Offset}
	for i, r := range repos {
		out.Repositories[i] = repoOut(r)
	}
	return out, nil
}

// GetRepository implements GET /api/v1/repositories/{repositoryId}.
func (api *API) GetRepository(ctx context.Context, req openapi.GetRepositoryRequestObject) (openapi.GetRepositoryResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	r, err := s.Repository(ctx, req.RepositoryId)
	if err != nil {
		return nil, httpError(err)
	}
	return openapi.GetRepository200JSONResponse(repoOut(r)), nil
}

// UpdateRepository implements PUT /api/v1/repositories/{repositoryId}.
func (api *API) UpdateRepository(ctx context.Context, req openapi.UpdateRepositoryRequestObject) (openapi.UpdateRepositoryResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	var c RepositoryChange
	if req.Body != nil {
		c = RepositoryChange{Name: req.Body.Name, Description: req.Body.Description, Active: req.Body.IsActive}
	}
	r, err := s.UpdateRepository(ctx, req.RepositoryId, c)
	if err != nil {
		return nil, httpError(err)
	}
	s.audit(ctx, "repository.updated", "repository", r.ID.String(), r.Name, map[string]any{"url": r.URL, "is_active": r.IsActive})
	return openapi.UpdateRepository200JSONResponse(repoOut(r)), nil
}

// DeleteRepository implements DELETE /api/v1/repositories/{repositoryId}.
func (api *API) DeleteRepository(ctx context.Context, req openapi.DeleteRepositoryRequestObject) (openapi.DeleteRepositoryResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	r, err := s.DeleteRepository(ctx, req.RepositoryId)
	if err != nil {
		return nil, httpError(err)
	}
	s.audit(ctx, "repository.deleted", "repository", r.ID.String(), r.Name, map[string]any{"url": r.URL})
	return openapi.DeleteRepository200JSONResponse{Message: "Repository deleted", Repository: repoOut(r)}, nil
}

// ListRepositoryHosts implements GET /api/v1/repositories/{repositoryId}/hosts.
func (api *API) ListRepositoryHosts(ctx context.Context, req openapi.ListRepositoryHostsRequestObject) (openapi.ListRepositoryHostsResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	p := Page{Limit: intOr(req.Params.Limit, 50), Offset: intOr(req.Params.Offset, 0)}
	hosts, total, err := s.RepositoryHosts(ctx, req.RepositoryId, deref(req.Params.Search), p)
	if err != nil {
		return nil, httpError(err)
	}
	out := openapi.ListRepositoryHosts200JSONResponse{Hosts: make([]openapi.RepositoryHost, len(hosts)),
		Total: total, Limit: p.Limit, Offset: p.Offset}
	for i, h := range hosts {
		f := fleetHostOut(h.FleetHost)
		out.Hosts[i] = openapi.RepositoryHost{Id: f.Id, FriendlyName: f.FriendlyName, Hostname: f.Hostname,
			Ip: f.Ip, OsType: f.OsType, OsVersion: f.OsVersion, Status: openapi.RepositoryHostStatus(f.Status),
			NeedsReboot: f.NeedsReboot, OutdatedPackages: f.OutdatedPackages, SecurityUpdates: f.SecurityUpdates,
			LastUpdate: f.LastUpdate, IsEnabled: h.Enabled}
	}
	return out, nil
}
