package integrationapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/enrollment"
	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/scopes"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// Error codes of this package, stable for clients.
const (
	CodeHostNotFound    = "api_host_not_found"
	CodePackageNotFound = "api_package_not_found"
	CodeInvalidHostID   = "api_invalid_host_id"
	CodeForeignKey      = "api_host_delete_constraint"
	CodeFetchFailed     = "api_fetch_failed"
	CodeDeleteFailed    = "api_delete_failed"
)

// Documented errors.
var (
	ErrHostNotFound    = httpx.NewError(http.StatusNotFound, CodeHostNotFound, "Host not found")
	ErrPackageNotFound = httpx.NewError(http.StatusNotFound, CodePackageNotFound, "Package not found")
	ErrInvalidHostID   = httpx.NewError(http.StatusBadRequest, CodeInvalidHostID, "Invalid host ID format")
	ErrForeignKey      = httpx.NewError(http.StatusBadRequest, CodeForeignKey, "Cannot delete host due to foreign key constraints")
	ErrDeleteFailed    = httpx.NewError(http.StatusInternalServerError, CodeDeleteFailed, "Failed to delete host")
)

// dockerDescription is the documented description of the Docker integration.
const dockerDescription = "Monitor Docker containers, images, volumes, and networks. Collects real-time container status events."

// API implements the Integration API and GetHomepage operations of
// openapi.StrictServerInterface. It answers 503 until a Service is bound.
type API struct {
	svc atomic.Pointer[Service]
}

// NewAPI returns an unbound API.
func NewAPI() *API { return &API{} }

// Bind makes the API serve with svc; nil unbinds it.
func (a *API) Bind(svc *Service) { a.svc.Store(svc) }

var errUnavailable = httpx.NewError(http.StatusServiceUnavailable, httpx.CodeUnavailable, "Server is starting, try again shortly")

func (a *API) service() (*Service, error) {
	if s := a.svc.Load(); s != nil {
		return s, nil
	}
	return nil, errUnavailable
}

// fetchFailed logs err and returns the documented 500 for what was being fetched.
func (s *Service) fetchFailed(ctx context.Context, what string, err error) error {
	s.log.ErrorContext(ctx, "integration API query failed", "what", what, "err", err)
	return httpx.NewError(http.StatusInternalServerError, CodeFetchFailed, "Failed to fetch "+what)
}

// RouteScope reads the x-scope extension of an operation ("host:get").
func RouteScope(info httpx.RouteInfo) (scopes.Scope, error) {
	var raw string
	if info.Operation != nil {
		raw, _ = info.Operation.Extensions["x-scope"].(string)
	}
	if raw == "" {
		return scopes.Scope{}, fmt.Errorf("openapi: %s %s (%s) has x-permission api but no x-scope", info.Method, info.Pattern, info.OperationID)
	}
	sc, err := scopes.Parse(raw)
	if err != nil {
		return scopes.Scope{}, fmt.Errorf("openapi: %s %s (%s): x-scope: %w", info.Method, info.Pattern, info.OperationID, err)
	}
	return sc, nil
}

// RequireScope returns middleware that lets a request through only when the token that
// authenticated it (enrollment.TokenFromContext, so it runs after RequireToken) grants
// need. Refusals are 403 {"error": "Access denied", "message": …, "code": …}.
func RequireScope(need scopes.Scope, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := enrollment.TokenFromContext(r.Context())
		if !ok {
			httpx.WriteError(w, http.StatusUnauthorized, enrollment.CodeAuthHeader, enrollment.ErrAuthHeader.Message)
			return
		}
		if err := scopes.Check(tok.Scopes, need); err != nil {
			var d *scopes.Denied
			if errors.As(err, &d) {
				code := d.Code
				httpx.WriteJSON(w, d.Status(), openapi.IntegrationDenied{Error: scopes.DeniedError, Message: &d.Message, Code: &code})
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// hostID parses the id of a single-host read. A malformed id names no host.
func hostID(raw string) (uuid.UUID, error) {
	id, err := uuid.Parse(raw)
	if err != nil {
		return uuid.Nil, ErrHostNotFound
	}
	return id, nil
}

func isTrue(p *string) bool {
	return p != nil && strings.EqualFold(strings.TrimSpace(*p), "true")
}

// limitOr returns *p, or def when p is nil. The spec bounds the value.
func limitOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

// detail loads the host of a single-host endpoint, mapping the errors.
func (a *API) detail(ctx context.Context, raw, what string) (*Service, hostDetail, error) {
	s, err := a.service()
	if err != nil {
		return nil, hostDetail{}, err
	}
	id, err := hostID(raw)
	if err != nil {
		return nil, hostDetail{}, err
	}
	h, err := s.hostDetail(ctx, id)
	if errors.Is(err, errNoHost) {
		return nil, hostDetail{}, ErrHostNotFound
	}
	if err != nil {
		return nil, hostDetail{}, s.fetchFailed(ctx, what, err)
	}
	return s, h, nil
}

// IntegrationListHosts implements GET /api/v1/api/hosts.
func (a *API) IntegrationListHosts(ctx context.Context, req openapi.IntegrationListHostsRequestObject) (openapi.IntegrationListHostsResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	var f groupFilter
	if req.Params.Hostgroup != nil {
		f = parseGroupFilter(*req.Params.Hostgroup)
	}
	withStats := false
	if req.Params.Include != nil {
		for _, part := range strings.Split(*req.Params.Include, ",") {
			if strings.EqualFold(strings.TrimSpace(part), "stats") {
				withStats = true
			}
		}
	}
	hosts, err := s.listHosts(ctx, f, withStats)
	if err != nil {
		return nil, s.fetchFailed(ctx, "hosts", err)
	}
	out := openapi.IntegrationHostList{Hosts: hosts, Total: len(hosts)}
	if len(f.given) > 0 {
		out.FilteredByGroups = &f.given
	}
	return openapi.IntegrationListHosts200JSONResponse(out), nil
}

// IntegrationHostStats implements GET /api/v1/api/hosts/{id}/stats.
func (a *API) IntegrationHostStats(ctx context.Context, req openapi.IntegrationHostStatsRequestObject) (openapi.IntegrationHostStatsResponseObject, error) {
	_, h, err := a.detail(ctx, req.Id, "host statistics")
	if err != nil {
		return nil, err
	}
	return openapi.IntegrationHostStats200JSONResponse{HostId: h.ID, TotalInstalledPackages: h.TotalPackages,
		OutdatedPackages: h.OutdatedPackages, SecurityUpdates: h.SecurityUpdates, TotalRepos: h.TotalRepos}, nil
}

// IntegrationHostInfo implements GET /api/v1/api/hosts/{id}/info.
func (a *API) IntegrationHostInfo(ctx context.Context, req openapi.IntegrationHostInfoRequestObject) (openapi.IntegrationHostInfoResponseObject, error) {
	s, h, err := a.detail(ctx, req.Id, "host information")
	if err != nil {
		return nil, err
	}
	groups, err := s.hostGroups(ctx, h.ID)
	if err != nil {
		return nil, s.fetchFailed(ctx, "host information", err)
	}
	return openapi.IntegrationHostInfo200JSONResponse{Id: h.ID, MachineId: h.MachineID, FriendlyName: h.FriendlyName,
		Hostname: h.Hostname, Ip: h.IP, OsType: h.OSType, OsVersion: h.OSVersion, AgentVersion: h.AgentVersion,
		HostGroups: groups}, nil
}

// storedInterface is an interface as ingest stores it (the agent's report format).
type storedInterface struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	MACAddress string `json:"macAddress"`
	Status     string `json:"status"`
	Addresses  []struct {
		Address string `json:"address"`
		Family  string `json:"family"`
		Netmask string `json:"netmask"`
		Gateway string `json:"gateway"`
	} `json:"addresses"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// IntegrationHostNetwork implements GET /api/v1/api/hosts/{id}/network.
func (a *API) IntegrationHostNetwork(ctx context.Context, req openapi.IntegrationHostNetworkRequestObject) (openapi.IntegrationHostNetworkResponseObject, error) {
	s, h, err := a.detail(ctx, req.Id, "host network information")
	if err != nil {
		return nil, err
	}
	out := openapi.IntegrationHostNetwork{Id: h.ID, Ip: h.IP, GatewayIp: h.GatewayIP, DnsServers: h.DNSServers}
	if out.DnsServers == nil {
		out.DnsServers = []string{}
	}
	var stored []storedInterface
	if len(h.NetworkInterfaces) > 0 {
		if err := json.Unmarshal(h.NetworkInterfaces, &stored); err != nil {
			return nil, s.fetchFailed(ctx, "host network information", err)
		}
	}
	out.NetworkInterfaces = make([]struct {
		Addresses *[]struct {
			Address string  `json:"address"`
			Family  string  `json:"family"`
			Gateway *string `json:"gateway,omitempty"`
			Netmask *string `json:"netmask,omitempty"`
		} `json:"addresses,omitempty"`
		Ip     *string `json:"ip"`
		Mac    *string `json:"mac"`
		Name   string  `json:"name"`
		Status *string `json:"status,omitempty"`
		Type   *string `json:"type,omitempty"`
	}, len(stored))
	for i, n := range stored {
		o := &out.NetworkInterfaces[i]
		o.Name, o.Mac, o.Type, o.Status = n.Name, optional(n.MACAddress), optional(n.Type), optional(n.Status)
		addrs := make([]struct {
			Address string  `json:"address"`
			Family  string  `json:"family"`
			Gateway *string `json:"gateway,omitempty"`
			Netmask *string `json:"netmask,omitempty"`
		}, len(n.Addresses))
		for j, ad := range n.Addresses {
			addrs[j].Address, addrs[j].Family = ad.Address, ad.Family
			addrs[j].Gateway, addrs[j].Netmask = optional(ad.Gateway), optional(ad.Netmask)
			if o.Ip == nil && ad.Family == "inet" {
				o.Ip = optional(ad.Address)
			}
		}
		if o.Ip == nil && len(n.Addresses) > 0 {
			o.Ip = optional(n.Addresses[0].Address)
		}
		o.Addresses = &addrs
	}
	return openapi.IntegrationHostNetwork200JSONResponse(out), nil
}

// storedDisk is a filesystem as ingest stores it; the used/available/use% keys are read
// when an agent supplies them.
type storedDisk struct {
	Name       string `json:"name"`
	Filesystem string `json:"filesystem"`
	Size       string `json:"size"`
	Used       string `json:"used"`
	Available  string `json:"available"`
	UsePercent string `json:"use_percent"`
	MountPoint string `json:"mountpoint"`
	MountedOn  string `json:"mounted_on"`
}

// megabytes renders a size stored in GB the way the documentation shows it ("8192 MB").
func megabytes(gb *float64) *string {
	if gb == nil {
		return nil
	}
	s := fmt.Sprintf("%d MB", int64(math.Round(*gb*1024)))
	return &s
}

// IntegrationHostSystem implements GET /api/v1/api/hosts/{id}/system.
func (a *API) IntegrationHostSystem(ctx context.Context, req openapi.IntegrationHostSystemRequestObject) (openapi.IntegrationHostSystemResponseObject, error) {
	s, h, err := a.detail(ctx, req.Id, "host system information")
	if err != nil {
		return nil, err
	}
	out := openapi.IntegrationHostSystem{Id: h.ID, Architecture: h.Architecture, KernelVersion: h.KernelVersion,
		InstalledKernelVersion: h.InstalledKernelVersion, SelinuxStatus: h.SELinuxStatus, SystemUptime: h.SystemUptime,
		CpuModel: h.CPUModel, CpuCores: h.CPUCores, RamInstalled: megabytes(h.RAMGB), SwapSize: megabytes(h.SwapGB),
		NeedsReboot: h.NeedsReboot, RebootReason: h.RebootReason}
	if len(h.LoadAverage) >= 3 {
		out.LoadAverage = &struct {
			N15min float32 `json:"15min"`
			N1min  float32 `json:"1min"`
			N5min  float32 `json:"5min"`
		}{N1min: float32(h.LoadAverage[0]), N5min: float32(h.LoadAverage[1]), N15min: float32(h.LoadAverage[2])}
	}
	var disks []storedDisk
	if len(h.DiskDetails) > 0 {
		if err := json.Unmarshal(h.DiskDetails, &disks); err != nil {
			return nil, s.fetchFailed(ctx, "host system information", err)
		}
	}
	out.DiskDetails = make([]struct {
		Available  *string `json:"available"`
		Filesystem string  `json:"filesystem"`
		MountedOn  string  `json:"mounted_on"`
		Size       string  `json:"size"`
		UsePercent *string `json:"use_percent"`
		Used       *string `json:"used"`
	}, len(disks))
	for i, d := range disks {
		o := &out.DiskDetails[i]
		o.Filesystem, o.MountedOn = firstOf(d.Filesystem, d.Name), firstOf(d.MountedOn, d.MountPoint)
		o.Size, o.Used, o.Available, o.UsePercent = d.Size, optional(d.Used), optional(d.Available), optional(d.UsePercent)
	}
	return openapi.IntegrationHostSystem200JSONResponse(out), nil
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// IntegrationHostPackages implements GET /api/v1/api/hosts/{id}/packages.
func (a *API) IntegrationHostPackages(ctx context.Context, req openapi.IntegrationHostPackagesRequestObject) (openapi.IntegrationHostPackagesResponseObject, error) {
	s, h, err := a.detail(ctx, req.Id, "host packages")
	if err != nil {
		return nil, err
	}
	pkgs, err := s.hostPackages(ctx, h.ID, isTrue(req.Params.UpdatesOnly))
	if err != nil {
		return nil, s.fetchFailed(ctx, "host packages", err)
	}
	return openapi.IntegrationHostPackages200JSONResponse{
		Host:     openapi.IntegrationHostRef{Id: h.ID, Hostname: h.Hostname, FriendlyName: h.FriendlyName},
		Packages: pkgs, Total: len(pkgs)}, nil
}

// IntegrationHostPackageReports implements GET /api/v1/api/hosts/{id}/package_reports.
func (a *API) IntegrationHostPackageReports(ctx context.Context, req openapi.IntegrationHostPackageReportsRequestObject) (openapi.IntegrationHostPackageReportsResponseObject, error) {
	s, h, err := a.detail(ctx, req.Id, "package reports")
	if err != nil {
		return nil, err
	}
	reps, err := s.packageReports(ctx, h.ID, limitOr(req.Params.Limit, 10))
	if err != nil {
		return nil, s.fetchFailed(ctx, "package reports", err)
	}
	return openapi.IntegrationHostPackageReports200JSONResponse{HostId: h.ID, Reports: reps, Total: len(reps)}, nil
}

// IntegrationHostAgentQueue implements GET /api/v1/api/hosts/{id}/agent_queue.
func (a *API) IntegrationHostAgentQueue(ctx context.Context, req openapi.IntegrationHostAgentQueueRequestObject) (openapi.IntegrationHostAgentQueueResponseObject, error) {
	s, h, err := a.detail(ctx, req.Id, "agent queue")
	if err != nil {
		return nil, err
	}
	q, err := s.agentQueue(ctx, h.ID, limitOr(req.Params.Limit, 10))
	if err != nil {
		return nil, s.fetchFailed(ctx, "agent queue", err)
	}
	return openapi.IntegrationHostAgentQueue200JSONResponse(q), nil
}

// IntegrationHostNotes implements GET /api/v1/api/hosts/{id}/notes.
func (a *API) IntegrationHostNotes(ctx context.Context, req openapi.IntegrationHostNotesRequestObject) (openapi.IntegrationHostNotesResponseObject, error) {
	_, h, err := a.detail(ctx, req.Id, "host notes")
	if err != nil {
		return nil, err
	}
	return openapi.IntegrationHostNotes200JSONResponse{HostId: h.ID, Notes: h.Notes}, nil
}

// IntegrationHostIntegrations implements GET /api/v1/api/hosts/{id}/integrations. The
// container, volume and network counts appear once the server keeps a Docker inventory;
// until then an enabled integration reports its setup state.
func (a *API) IntegrationHostIntegrations(ctx context.Context, req openapi.IntegrationHostIntegrationsRequestObject) (openapi.IntegrationHostIntegrationsResponseObject, error) {
	_, h, err := a.detail(ctx, req.Id, "host integrations")
	if err != nil {
		return nil, err
	}
	var out openapi.IntegrationHostIntegrations
	out.HostId = h.ID
	out.Integrations.Docker.Enabled = h.DockerEnabled
	out.Integrations.Docker.Description = dockerDescription
	if h.DockerEnabled {
		out.Integrations.Docker.Status = h.DockerStatus
	}
	return openapi.IntegrationHostIntegrations200JSONResponse(out), nil
}

// IntegrationDeleteHost implements DELETE /api/v1/api/hosts/{id}.
func (a *API) IntegrationDeleteHost(ctx context.Context, req openapi.IntegrationDeleteHostRequestObject) (openapi.IntegrationDeleteHostResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	id, err := uuid.Parse(req.Id)
	if err != nil {
		return nil, ErrInvalidHostID
	}
	ref, err := s.deleteHost(ctx, id)
	switch {
	case errors.Is(err, errNoHost):
		return nil, ErrHostNotFound
	case errors.Is(err, errForeignKey):
		return nil, ErrForeignKey
	case err != nil:
		s.log.ErrorContext(ctx, "integration API host delete failed", "host", id, "err", err)
		return nil, ErrDeleteFailed
	}
	entry := users.AuditEntry{Event: "host.deleted", Success: true, TargetType: "host", TargetID: id.String(),
		TargetName: ref.FriendlyName, Details: map[string]any{"via": "integration_api"}}
	if tok, ok := enrollment.TokenFromContext(ctx); ok {
		entry.ActorUsername = "api:" + tok.Name
		entry.Details["token_key"] = tok.Key
	}
	s.cfg.Audit(ctx, entry)
	return openapi.IntegrationDeleteHost200JSONResponse{Message: "Host deleted successfully", Deleted: ref}, nil
}

// IntegrationListPackages implements GET /api/v1/api/packages.
func (a *API) IntegrationListPackages(ctx context.Context, req openapi.IntegrationListPackagesRequestObject) (openapi.IntegrationListPackagesResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	q := packageQuery{updatesOnly: isTrue(req.Params.UpdatesOnly), securityOnly: isTrue(req.Params.SecurityOnly),
		limit: limitOr(req.Params.Limit, 100), offset: limitOr(req.Params.Offset, 0)}
	if req.Params.Search != nil {
		q.search = strings.TrimSpace(*req.Params.Search)
	}
	list, total, err := s.packages(ctx, q)
	if err != nil {
		return nil, s.fetchFailed(ctx, "packages", err)
	}
	return openapi.IntegrationListPackages200JSONResponse{Packages: list, Total: total, Limit: q.limit, Offset: q.offset}, nil
}

// IntegrationPackageHosts implements GET /api/v1/api/packages/{id}/hosts.
func (a *API) IntegrationPackageHosts(ctx context.Context, req openapi.IntegrationPackageHostsRequestObject) (openapi.IntegrationPackageHostsResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	id, err := uuid.Parse(req.Id)
	if err != nil {
		return nil, ErrPackageNotFound
	}
	p, err := s.packageWithCounts(ctx, id)
	if errors.Is(err, errNoPackage) {
		return nil, ErrPackageNotFound
	}
	if err != nil {
		return nil, s.fetchFailed(ctx, "package", err)
	}
	hosts, err := s.packageHosts(ctx, id, isTrue(req.Params.UpdatesOnly))
	if err != nil {
		return nil, s.fetchFailed(ctx, "package hosts", err)
	}
	return openapi.IntegrationPackageHosts200JSONResponse{Package: p, Hosts: hosts, Total: len(hosts)}, nil
}

// IntegrationListHostGroups implements GET /api/v1/api/hostgroups.
func (a *API) IntegrationListHostGroups(ctx context.Context, _ openapi.IntegrationListHostGroupsRequestObject) (openapi.IntegrationListHostGroupsResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	groups, err := s.hostGroupList(ctx)
	if err != nil {
		return nil, s.fetchFailed(ctx, "host groups", err)
	}
	return openapi.IntegrationListHostGroups200JSONResponse{HostGroups: groups, Total: len(groups)}, nil
}

// ListIntegrationScopes implements GET /api/v1/integrations/scopes.
func (a *API) ListIntegrationScopes(ctx context.Context, _ openapi.ListIntegrationScopesRequestObject) (openapi.ListIntegrationScopesResponseObject, error) {
	cat := scopes.Catalogue()
	out := make(openapi.ListIntegrationScopes200JSONResponse, len(cat))
	for i, r := range cat {
		out[i].Name, out[i].Description = r.Name, r.Description
		out[i].Actions = make([]struct {
			Description string `json:"description"`
			Name        string `json:"name"`
		}, len(r.Actions))
		for j, act := range r.Actions {
			out[i].Actions[j].Name, out[i].Actions[j].Description = act.Name, act.Description
		}
	}
	return out, nil
}

// GetHomepageStats implements GET /api/v1/gethomepage/stats.
func (a *API) GetHomepageStats(ctx context.Context, _ openapi.GetHomepageStatsRequestObject) (openapi.GetHomepageStatsResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	st, err := s.HomepageStats(ctx)
	if err != nil {
		return nil, s.fetchFailed(ctx, "statistics", err)
	}
	return openapi.GetHomepageStats200JSONResponse(st), nil
}

// GetHomepageHealth implements GET /api/v1/gethomepage/health.
func (a *API) GetHomepageHealth(ctx context.Context, _ openapi.GetHomepageHealthRequestObject) (openapi.GetHomepageHealthResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	name := ""
	if tok, ok := enrollment.TokenFromContext(ctx); ok {
		name = tok.Name
	}
	return openapi.GetHomepageHealth200JSONResponse{Status: "ok", Timestamp: s.cfg.Now().UTC().Truncate(time.Millisecond), ApiKey: name}, nil
}

// ListIntegrationHostGroups implements GET /api/v1/integrations/host-groups, the
// signed-in administrator's view of the same list.
func (a *API) ListIntegrationHostGroups(ctx context.Context, _ openapi.ListIntegrationHostGroupsRequestObject) (openapi.ListIntegrationHostGroupsResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	groups, err := s.hostGroupList(ctx)
	if err != nil {
		return nil, s.fetchFailed(ctx, "host groups", err)
	}
	return openapi.ListIntegrationHostGroups200JSONResponse{HostGroups: groups, Total: len(groups)}, nil
}
