package agenthub

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

// Endpoints serves the hub's operations of the generated openapi.StrictServerInterface;
// the server embeds it so that method promotion wires them. It exists with the
// route table, before the database does, and is bound to a started Hub by Bind;
// unbound, every operation answers 503.
//
// The two WebSocket operations cannot be served through the strict layer (it has
// no access to the connection): WithWebSockets puts ServeAgent and ServeStream
// in place of the generated handlers.
type Endpoints struct {
	hub atomic.Pointer[Hub]
}

// NewEndpoints returns unbound Endpoints.
func NewEndpoints() *Endpoints { return &Endpoints{} }

// Bind makes the endpoints serve with h; nil unbinds them.
func (a *Endpoints) Bind(h *Hub) { a.hub.Store(h) }

func (a *Endpoints) bound() (*Hub, error) {
	h := a.hub.Load()
	if h == nil || !h.running() {
		return nil, apiError(ErrNotRunning)
	}
	return h, nil
}

// httpError maps err to the API error the server renders; other errors pass
// through and become 500s.
func httpError(err error) error {
	if ae := apiError(err); ae != nil {
		return ae
	}
	if errors.Is(err, wsproto.ErrInvalid) || errors.Is(err, wsproto.ErrFrameTooLarge) {
		return httpx.NewError(http.StatusBadRequest, httpx.CodeValidation, err.Error())
	}
	return err
}

// ServeAgent serves GET /api/v1/agents/ws with the bound hub.
func (a *Endpoints) ServeAgent(w http.ResponseWriter, r *http.Request) {
	h, err := a.bound()
	if err != nil {
		writeError(w, err)
		return
	}
	h.ServeAgent(w, r)
}

// ServeStream serves GET /api/v1/ws/events with the bound hub.
func (a *Endpoints) ServeStream(w http.ResponseWriter, r *http.Request) {
	h, err := a.bound()
	if err != nil {
		writeError(w, err)
		return
	}
	h.ServeStream(w, r)
}

// errNotStrict is what the strict forms of the WebSocket operations return: they
// are only reached when the server did not mount WithWebSockets.
var errNotStrict = errors.New("agenthub: WebSocket operations are served by Endpoints.ServeAgent and Endpoints.ServeStream (see WithWebSockets)")

// AgentWebSocket is the strict form of GET /api/v1/agents/ws; see errNotStrict.
func (a *Endpoints) AgentWebSocket(context.Context, openapi.AgentWebSocketRequestObject) (openapi.AgentWebSocketResponseObject, error) {
	return nil, errNotStrict
}

// RealtimeEvents is the strict form of GET /api/v1/ws/events; see errNotStrict.
func (a *Endpoints) RealtimeEvents(context.Context, openapi.RealtimeEventsRequestObject) (openapi.RealtimeEventsResponseObject, error) {
	return nil, errNotStrict
}

// WithWebSockets returns si with the two WebSocket operations served by api's
// upgrade handlers; pass the result to openapi.HandlerWithOptions.
func WithWebSockets(si openapi.ServerInterface, api *Endpoints) openapi.ServerInterface {
	return webSockets{ServerInterface: si, api: api}
}

type webSockets struct {
	openapi.ServerInterface
	api *Endpoints
}

func (ws webSockets) AgentWebSocket(w http.ResponseWriter, r *http.Request) { ws.api.ServeAgent(w, r) }
func (ws webSockets) RealtimeEvents(w http.ResponseWriter, r *http.Request) { ws.api.ServeStream(w, r) }

// HostFetchReport implements POST /api/v1/hosts/{hostId}/fetch-report.
func (a *Endpoints) HostFetchReport(ctx context.Context, req openapi.HostFetchReportRequestObject) (openapi.HostFetchReportResponseObject, error) {
	res, err := a.sendOne(ctx, req.HostId, wsproto.ReportNow{})
	if err != nil {
		return nil, err
	}
	return openapi.HostFetchReport200JSONResponse(res), nil
}

// HostForceAgentUpdate implements POST /api/v1/hosts/{hostId}/force-agent-update.
func (a *Endpoints) HostForceAgentUpdate(ctx context.Context, req openapi.HostForceAgentUpdateRequestObject) (openapi.HostForceAgentUpdateResponseObject, error) {
	res, err := a.sendOne(ctx, req.HostId, wsproto.UpdateAgent{})
	if err != nil {
		return nil, err
	}
	return openapi.HostForceAgentUpdate200JSONResponse(res), nil
}

// HostRefreshIntegrationStatus implements POST /api/v1/hosts/{hostId}/refresh-integration-status.
func (a *Endpoints) HostRefreshIntegrationStatus(ctx context.Context, req openapi.HostRefreshIntegrationStatusRequestObject) (openapi.HostRefreshIntegrationStatusResponseObject, error) {
	res, err := a.sendOne(ctx, req.HostId, wsproto.RefreshIntegrationStatus{})
	if err != nil {
		return nil, err
	}
	return openapi.HostRefreshIntegrationStatus200JSONResponse(res), nil
}

func (a *Endpoints) sendOne(ctx context.Context, host uuid.UUID, m wsproto.Message) (openapi.AgentCommandResult, error) {
	h, err := a.bound()
	if err != nil {
		return openapi.AgentCommandResult{}, err
	}
	res, err := h.SendTo(ctx, Target{HostIDs: []uuid.UUID{host}}, m)
	if err != nil {
		return openapi.AgentCommandResult{}, httpError(err)
	}
	return resultToAPI(res), nil
}

// AgentsSendCommand implements POST /api/v1/agents/commands.
func (a *Endpoints) AgentsSendCommand(ctx context.Context, req openapi.AgentsSendCommandRequestObject) (openapi.AgentsSendCommandResponseObject, error) {
	h, err := a.bound()
	if err != nil {
		return nil, err
	}
	body := req.Body
	var m wsproto.Message
	switch body.Command {
	case openapi.AgentCommandRequestCommandReportNow:
		m = wsproto.ReportNow{}
	case openapi.AgentCommandRequestCommandUpdateAgent:
		m = wsproto.UpdateAgent{}
	case openapi.AgentCommandRequestCommandRefreshIntegrationStatus:
		m = wsproto.RefreshIntegrationStatus{}
	case openapi.AgentCommandRequestCommandDockerInventoryRefresh:
		m = wsproto.DockerInventoryRefresh{}
	case openapi.AgentCommandRequestCommandSettingsUpdate:
		if body.UpdateInterval == nil {
			return nil, &httpx.APIError{Status: http.StatusBadRequest, Code: httpx.CodeValidation,
				Message: "updateInterval is required for settings_update", Field: "updateInterval"}
		}
		m = wsproto.SettingsUpdate{UpdateInterval: *body.UpdateInterval}
	default:
		return nil, &httpx.APIError{Status: http.StatusBadRequest, Code: httpx.CodeValidation,
			Message: "Unknown command " + string(body.Command), Field: "command"}
	}
	var t Target
	if body.Target.HostIds != nil {
		t.HostIDs = *body.Target.HostIds
	}
	if body.Target.GroupIds != nil {
		t.GroupIDs = *body.Target.GroupIds
	}
	t.All = body.Target.All != nil && *body.Target.All
	res, err := h.SendTo(ctx, t, m)
	if err != nil {
		return nil, httpError(err)
	}
	return openapi.AgentsSendCommand200JSONResponse(resultToAPI(res)), nil
}

func resultToAPI(r Result) openapi.AgentCommandResult {
	out := openapi.AgentCommandResult{Id: r.ID, Command: string(r.Command), Delivered: r.Delivered, Offline: r.Offline,
		Failed: r.Failed, Deliveries: make([]openapi.AgentCommandDelivery, len(r.Deliveries))}
	for i, d := range r.Deliveries {
		out.Deliveries[i] = openapi.AgentCommandDelivery{HostId: d.HostID, ApiId: d.APIID, Status: openapi.AgentCommandDeliveryStatus(d.Status)}
		if d.Error != "" {
			msg := d.Error
			out.Deliveries[i].Error = &msg
		}
	}
	return out
}

// WsStatus implements GET /api/v1/ws/status/{apiId}.
func (a *Endpoints) WsStatus(ctx context.Context, req openapi.WsStatusRequestObject) (openapi.WsStatusResponseObject, error) {
	h, err := a.bound()
	if err != nil {
		return nil, err
	}
	st, err := h.StatusByAPIID(ctx, req.ApiId)
	if err != nil {
		return nil, httpError(err)
	}
	return openapi.WsStatus200JSONResponse{Success: true, Data: statusToAPI(st, time.Now())}, nil
}

func statusToAPI(st HostStatus, now time.Time) openapi.AgentWsStatus {
	out := openapi.AgentWsStatus{HostId: st.Host.ID, ApiId: st.Host.APIID, FriendlyName: st.FriendlyName,
		Connected: st.Connected, Secure: st.Secure, History: make([]openapi.AgentWsTransition, len(st.History))}
	if !st.ConnectedAt.IsZero() {
		t := st.ConnectedAt.UTC()
		out.ConnectedAt = &t
	}
	if !st.Connected && st.DisconnectedAt != nil {
		t := st.DisconnectedAt.UTC()
		out.DisconnectedAt = &t
		secs := max(int(now.Sub(t)/time.Second), 0)
		out.DisconnectedSecondsAgo = &secs
	}
	if st.DisconnectReason != "" {
		r := st.DisconnectReason
		out.DisconnectReason = &r
	}
	for i, tr := range st.History {
		out.History[i] = openapi.AgentWsTransition{Status: openapi.AgentWsTransitionStatus(tr.Status), Reason: tr.Reason, At: tr.At.UTC()}
	}
	return out
}

// WsStatusSummary implements GET /api/v1/ws/status/summary.
func (a *Endpoints) WsStatusSummary(ctx context.Context, _ openapi.WsStatusSummaryRequestObject) (openapi.WsStatusSummaryResponseObject, error) {
	h, err := a.bound()
	if err != nil {
		return nil, err
	}
	s, err := h.Summary(ctx)
	if err != nil {
		return nil, httpError(err)
	}
	out := openapi.WsStatusSummary200JSONResponse{Connected: s.Connected, Total: s.Total, Offline: s.Offline}
	for _, r := range s.Replicas {
		out.Replicas = append(out.Replicas, struct {
			Connections int    `json:"connections"`
			Id          string `json:"id"`
			Self        bool   `json:"self"`
		}{Connections: r.Connections, Id: r.ID, Self: r.Self})
	}
	return out, nil
}
