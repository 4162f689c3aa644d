package inventory

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/users"
	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

// AgentControl is what the host endpoints need from the real-time layer (package
// agenthub's Hub, adapted by the server): closing a host's agent connection when its
// credentials stop being valid, and sending it a command.
type AgentControl interface {
	// Disconnect closes the host's agent WebSocket on whichever replica holds it.
	Disconnect(ctx context.Context, hostID uuid.UUID) error
	// Send delivers m to the host's agent and says "delivered", "offline" or "failed".
	Send(ctx context.Context, hostID uuid.UUID, m wsproto.Message) (string, error)
}

type agentControlBox struct{ c AgentControl }

// BindAgents gives the host endpoints the real-time layer; nil unbinds it. Without it,
// deleting or re-keying a host still refuses the old credentials on the agent's next
// request, but an open WebSocket stays up until it reconnects.
func (api *API) BindAgents(c AgentControl) {
	if c == nil {
		api.agents.Store(nil)
		return
	}
	api.agents.Store(&agentControlBox{c: c})
}

func (api *API) agentControl() AgentControl {
	if b := api.agents.Load(); b != nil {
		return b.c
	}
	return nil
}

// disconnect drops the agents of hosts whose credentials just became invalid. It is
// best effort: the credentials generation already refuses their next request.
func (api *API) disconnect(ctx context.Context, s *Service, ids ...uuid.UUID) {
	c := api.agentControl()
	if c == nil {
		return
	}
	for _, id := range ids {
		if err := c.Disconnect(ctx, id); err != nil {
			s.log.WarnContext(ctx, "disconnecting agent failed", "host_id", id, "err", err)
		}
	}
}

// ListHosts implements GET /api/v1/hosts.
func (api *API) ListHosts(ctx context.Context, req openapi.ListHostsRequestObject) (openapi.ListHostsResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	p := req.Params
	f := HostFilter{Search: deref(p.Search), OSType: deref(p.Os), NeedsUpdates: isTrue(p.NeedsUpdates),
		SecurityUpdates: isTrue(p.SecurityUpdates), RebootRequired: isTrue(p.RebootRequired)}
	if g := deref(p.Group); g != "" {
		if g == "none" {
			f.Ungrouped = true
		} else {
			id, err := uuid.Parse(g)
			if err != nil {
				return nil, fieldError("group", "group must be a host group id or none")
			}
			f.GroupID = &id
		}
	}
	if p.Status != nil {
		f.Status = string(*p.Status)
	}
	if p.Sort != nil {
		f.Sort = string(*p.Sort)
	}
	f.Desc = p.Order != nil && *p.Order == openapi.ListHostsParamsOrderDesc
	if p.Page != nil {
		f.Page = *p.Page
	}
	if p.PageSize != nil {
		f.PageSize = *p.PageSize
	}
	page, err := s.ListHosts(ctx, f)
	if err != nil {
		return nil, httpError(err)
	}
	out := openapi.ListHosts200JSONResponse{Hosts: page.Hosts, Total: page.Total, Page: f.Page, PageSize: f.PageSize}
	if out.Page == 0 {
		out.Page = 1
	}
	if out.PageSize == 0 {
		out.PageSize = 50
	}
	if isTrue(p.Facets) {
		fc, err := s.Facets(ctx)
		if err != nil {
			return nil, err
		}
		out.Facets = &struct {
			Groups    []openapi.HostGroupFacet `json:"groups"`
			OsTypes   []openapi.HostOSFacet    `json:"osTypes"`
			Ungrouped int                      `json:"ungrouped"`
		}{Groups: nonNil(fc.Groups), OsTypes: nonNil(fc.OSTypes), Ungrouped: fc.Ungrouped}
	}
	return out, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func isTrue(b *bool) bool { return b != nil && *b }

// Audit log events of host management.
const (
	EventHostCreated      = "host.created"
	EventHostUpdated      = "host.updated"
	EventHostDeleted      = "host.deleted"
	EventHostRekeyed      = "host.credentials_regenerated"
	EventHostIntegrations = "host.integrations_updated"
	EventHostsBulkDeleted = "hosts.bulk_deleted"
	EventHostsBulkGrouped = "hosts.bulk_groups_updated"
)

// auditHost records a change to a host.
func (s *Service) auditHost(ctx context.Context, event, hostID, name string, details map[string]any) {
	s.audit(ctx, event, "host", hostID, name, details)
}

// GetHost implements GET /api/v1/hosts/{hostId}.
func (api *API) GetHost(ctx context.Context, req openapi.GetHostRequestObject) (openapi.GetHostResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	h, err := s.Host(ctx, req.HostId)
	if err != nil {
		return nil, httpError(err)
	}
	return openapi.GetHost200JSONResponse(h), nil
}

// UpdateHost implements PATCH /api/v1/hosts/{hostId}.
func (api *API) UpdateHost(ctx context.Context, req openapi.UpdateHostRequestObject) (openapi.UpdateHostResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	b := req.Body
	if b == nil {
		return nil, httpError(errorf(ErrInvalidInput, "The body must be a JSON object"))
	}
	err = s.UpdateHost(ctx, req.HostId, HostUpdate{FriendlyName: b.FriendlyName, GroupIDs: b.GroupIds, Notes: b.Notes,
		AutoUpdate: b.AutoUpdate, HostDownAlerts: b.HostDownAlerts, UpdateInterval: b.UpdateInterval})
	if err != nil {
		return nil, httpError(err)
	}
	h, err := s.Host(ctx, req.HostId)
	if err != nil {
		return nil, httpError(err)
	}
	changed := map[string]any{}
	if b.FriendlyName != nil {
		changed["friendlyName"] = h.FriendlyName
	}
	if b.GroupIds != nil {
		changed["groupIds"] = *b.GroupIds
	}
	if b.Notes != nil {
		changed["notes"] = "changed"
	}
	if b.AutoUpdate != nil {
		changed["autoUpdate"] = *b.AutoUpdate
	}
	if b.HostDownAlerts != nil {
		changed["hostDownAlerts"] = *b.HostDownAlerts
	}
	if b.UpdateInterval != nil {
		changed["updateInterval"] = *b.UpdateInterval
	}
	s.auditHost(ctx, EventHostUpdated, h.Id.String(), h.FriendlyName, changed)
	if b.UpdateInterval != nil {
		// The agent applies the new interval now rather than at its next settings sync.
		if c := api.agentControl(); c != nil {
			if _, err := c.Send(ctx, req.HostId, wsproto.SettingsUpdate{UpdateInterval: h.UpdateInterval}); err != nil {
				s.log.WarnContext(ctx, "pushing the host's update interval failed", "host_id", req.HostId, "err", err)
			}
		}
	}
	return openapi.UpdateHost200JSONResponse(h), nil
}

// DeleteHost implements DELETE /api/v1/hosts/{hostId}.
func (api *API) DeleteHost(ctx context.Context, req openapi.DeleteHostRequestObject) (openapi.DeleteHostResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	if err := s.DeleteHost(ctx, req.HostId); err != nil {
		return nil, httpError(err)
	}
	api.disconnect(ctx, s, req.HostId)
	s.auditHost(ctx, EventHostDeleted, req.HostId.String(), "", nil)
	return openapi.DeleteHost200JSONResponse{Message: "Host deleted"}, nil
}

// hostCredentials is the answer carrying a new API key; it must not be cached.
type hostCredentials openapi.HostCredentials

func (c hostCredentials) VisitRegenerateHostCredentialsResponse(w http.ResponseWriter) error {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, openapi.HostCredentials(c))
	return nil
}

// RegenerateHostCredentials implements POST /api/v1/hosts/{hostId}/regenerate-credentials.
func (api *API) RegenerateHostCredentials(ctx context.Context, req openapi.RegenerateHostCredentialsRequestObject) (openapi.RegenerateHostCredentialsResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	creds, err := s.RegenerateCredentials(ctx, req.HostId)
	if err != nil {
		return nil, httpError(err)
	}
	// The agent's open WebSocket was authenticated with the old key: close it. It
	// reconnects with whatever credentials it has, and the old ones are refused.
	api.disconnect(ctx, s, req.HostId)
	s.auditHost(ctx, EventHostRekeyed, req.HostId.String(), "", map[string]any{"apiId": creds.APIID})
	cmd, err := s.InstallCommand(ctx, creds)
	if err != nil {
		return nil, err
	}
	variants, err := s.installVariants(ctx, creds)
	if err != nil {
		return nil, err
	}
	return hostCredentials{HostId: req.HostId, ApiId: creds.APIID, ApiKey: creds.APIKey,
		InstallCommand: cmd, InstallCommands: variants}, nil
}

// ListHostPackages implements GET /api/v1/hosts/{hostId}/packages.
func (api *API) ListHostPackages(ctx context.Context, req openapi.ListHostPackagesRequestObject) (openapi.ListHostPackagesResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	p := req.Params
	f := PackageFilter{Search: deref(p.Search), UpdatesOnly: isTrue(p.UpdatesOnly), SecurityOnly: isTrue(p.SecurityOnly), Page: 1, PageSize: 50}
	if p.Page != nil {
		f.Page = *p.Page
	}
	if p.PageSize != nil {
		f.PageSize = *p.PageSize
	}
	pkgs, total, err := s.HostPackages(ctx, req.HostId, f)
	if err != nil {
		return nil, httpError(err)
	}
	return openapi.ListHostPackages200JSONResponse{Packages: pkgs, Total: total, Page: f.Page, PageSize: f.PageSize}, nil
}

// ListHostRepositories implements GET /api/v1/hosts/{hostId}/repositories.
func (api *API) ListHostRepositories(ctx context.Context, req openapi.ListHostRepositoriesRequestObject) (openapi.ListHostRepositoriesResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	repos, err := s.HostRepositories(ctx, req.HostId)
	if err != nil {
		return nil, httpError(err)
	}
	return openapi.ListHostRepositories200JSONResponse{Repositories: repos}, nil
}

// ListHostHistory implements GET /api/v1/hosts/{hostId}/history.
func (api *API) ListHostHistory(ctx context.Context, req openapi.ListHostHistoryRequestObject) (openapi.ListHostHistoryResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	page, size := 1, 25
	if req.Params.Page != nil {
		page = *req.Params.Page
	}
	if req.Params.PageSize != nil {
		size = *req.Params.PageSize
	}
	hist, total, err := s.HostHistory(ctx, req.HostId, page, size)
	if err != nil {
		return nil, httpError(err)
	}
	return openapi.ListHostHistory200JSONResponse{History: hist, Total: total, Page: page, PageSize: size}, nil
}

// UpdateHostIntegrations implements PATCH /api/v1/hosts/{hostId}/integrations.
func (api *API) UpdateHostIntegrations(ctx context.Context, req openapi.UpdateHostIntegrationsRequestObject) (openapi.UpdateHostIntegrationsResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	b := req.Body
	if b == nil || (b.Docker == nil && b.Compliance == nil) {
		return nil, fieldError("docker", "Say which integration to switch: docker or compliance")
	}
	st, err := s.SetIntegrations(ctx, req.HostId, b.Docker, b.Compliance)
	if err != nil {
		return nil, httpError(err)
	}
	s.auditHost(ctx, EventHostIntegrations, req.HostId.String(), "", map[string]any{"docker": st.Docker, "compliance": st.Compliance})
	if c := api.agentControl(); c != nil {
		var cfg wsproto.AgentConfig
		if b.Docker != nil {
			cfg.Docker = &st.Docker
		}
		if b.Compliance != nil {
			mode := wsproto.ComplianceMode(st.ComplianceMode)
			if !st.Compliance {
				mode = wsproto.ComplianceDisabled
			}
			cfg.Compliance = &wsproto.ComplianceConfig{Enabled: mode}
		}
		status, err := c.Send(ctx, req.HostId, wsproto.ApplyConfig{Config: cfg})
		if err != nil {
			s.log.WarnContext(ctx, "pushing integration switches failed", "host_id", req.HostId, "err", err)
			status = string(openapi.HostIntegrationsStateAgentNotifiedFailed)
		}
		n := openapi.HostIntegrationsStateAgentNotified(status)
		st.AgentNotified = &n
	}
	return openapi.UpdateHostIntegrations200JSONResponse(st), nil
}

// BulkDeleteHosts implements POST /api/v1/hosts/bulk/delete.
func (api *API) BulkDeleteHosts(ctx context.Context, req openapi.BulkDeleteHostsRequestObject) (openapi.BulkDeleteHostsResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	if req.Body == nil || len(req.Body.HostIds) == 0 {
		return nil, fieldError("hostIds", "Choose at least one host")
	}
	n, err := s.BulkDeleteHosts(ctx, req.Body.HostIds)
	if err != nil {
		return nil, httpError(err)
	}
	api.disconnect(ctx, s, dedupeUUIDs(req.Body.HostIds)...)
	s.auditHost(ctx, EventHostsBulkDeleted, "", "", map[string]any{"hostIds": dedupeUUIDs(req.Body.HostIds)})
	return openapi.BulkDeleteHosts200JSONResponse{Message: plural(n, "host") + " deleted", Count: n}, nil
}

// BulkAssignHostGroups implements PUT /api/v1/hosts/bulk/groups.
func (api *API) BulkAssignHostGroups(ctx context.Context, req openapi.BulkAssignHostGroupsRequestObject) (openapi.BulkAssignHostGroupsResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	b := req.Body
	if b == nil || len(b.HostIds) == 0 {
		return nil, fieldError("hostIds", "Choose at least one host")
	}
	mode := GroupsAdd
	if b.Mode != nil {
		mode = string(*b.Mode)
	}
	n, err := s.BulkSetGroups(ctx, b.HostIds, b.GroupIds, mode)
	if err != nil {
		return nil, httpError(err)
	}
	s.auditHost(ctx, EventHostsBulkGrouped, "", "", map[string]any{"hostIds": dedupeUUIDs(b.HostIds), "groupIds": b.GroupIds, "mode": mode})
	return openapi.BulkAssignHostGroups200JSONResponse{Message: plural(n, "host") + " updated", Count: n}, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// currentUser is the signed-in user; the route's permission check guarantees one.
func currentUser(ctx context.Context) (uuid.UUID, error) {
	p, ok := users.PrincipalFrom(ctx)
	if !ok {
		return uuid.Nil, httpx.NewError(http.StatusUnauthorized, "auth_required", "Authentication required")
	}
	return p.UserID, nil
}

// ListHostViews implements GET /api/v1/hosts/views.
func (api *API) ListHostViews(ctx context.Context, _ openapi.ListHostViewsRequestObject) (openapi.ListHostViewsResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	user, err := currentUser(ctx)
	if err != nil {
		return nil, err
	}
	views, err := s.Views(ctx, user)
	if err != nil {
		return nil, err
	}
	return openapi.ListHostViews200JSONResponse{Views: views}, nil
}

// SaveHostView implements POST /api/v1/hosts/views.
func (api *API) SaveHostView(ctx context.Context, req openapi.SaveHostViewRequestObject) (openapi.SaveHostViewResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	user, err := currentUser(ctx)
	if err != nil {
		return nil, err
	}
	if req.Body == nil {
		return nil, fieldError("name", "View name must be 1 to 100 characters")
	}
	v, err := s.SaveView(ctx, user, req.Body.Name, req.Body.State)
	if err != nil {
		return nil, httpError(err)
	}
	return openapi.SaveHostView200JSONResponse(v), nil
}

// DeleteHostView implements DELETE /api/v1/hosts/views/{viewId}.
func (api *API) DeleteHostView(ctx context.Context, req openapi.DeleteHostViewRequestObject) (openapi.DeleteHostViewResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	user, err := currentUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.DeleteView(ctx, user, req.ViewId); err != nil {
		if errors.Is(err, ErrViewNotFound) {
			return nil, httpx.NewError(http.StatusNotFound, CodeViewNotFound, "View not found")
		}
		return nil, err
	}
	return openapi.DeleteHostView200JSONResponse{Message: "View deleted"}, nil
}
