package alerts

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// API implements the alert operations of openapi.StrictServerInterface. It answers 503 until
// a Service is bound.
type API struct{ svc atomic.Pointer[Service] }

// NewAPI returns an unbound API.
func NewAPI() *API { return &API{} }

// Bind makes the API serve with svc; nil unbinds it.
func (a *API) Bind(svc *Service) { a.svc.Store(svc) }

var (
	errUnavailable = httpx.NewError(http.StatusServiceUnavailable, httpx.CodeUnavailable, "Server is starting, try again shortly")
	errAssignee    = httpx.NewError(http.StatusBadRequest, httpx.CodeValidation, "assigned_to must be a user id, me or unassigned")
)

func (a *API) service() (*Service, error) {
	if s := a.svc.Load(); s != nil {
		return s, nil
	}
	return nil, errUnavailable
}

func actor(ctx context.Context) Actor {
	if p, ok := users.PrincipalFrom(ctx); ok {
		return Actor{UserID: p.UserID, Username: p.Username}
	}
	return Actor{}
}

func alertJSON(a Alert) openapi.Alert {
	out := openapi.Alert{Id: a.ID, Type: openapi.AlertType(a.Type), Severity: openapi.AlertSeverity(a.Severity),
		Status: openapi.AlertStatus(a.Status), HostId: a.HostID, HostName: a.HostName, Title: a.Title, Message: a.Message,
		Details: a.Details, SilencedUntil: a.SilencedUntil, EscalationLevel: a.EscalationLevel, EscalatedAt: a.EscalatedAt,
		AcknowledgedAt: a.AcknowledgedAt, ResolvedAt: a.ResolvedAt, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if out.Details == nil {
		out.Details = map[string]any{}
	}
	if a.AssignedTo != nil {
		out.AssignedTo = &openapi.AlertUser{Id: *a.AssignedTo, Username: a.AssignedUsername}
	}
	return out
}

func configJSON(c TypeConfig) openapi.AlertTypeConfig {
	return openapi.AlertTypeConfig{Type: openapi.AlertType(c.Type), Enabled: c.Enabled, DefaultSeverity: openapi.AlertSeverity(c.DefaultSeverity),
		DelayMinutes: c.DelayMinutes, Threshold: c.Threshold, AutoAssignUserId: c.AutoAssignUserID,
		EscalateAfterMinutes: c.EscalateAfterMinutes, RetentionDays: c.RetentionDays, UpdatedAt: c.UpdatedAt}
}

func note(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// ListAlerts implements GET /api/v1/alerts.
func (a *API) ListAlerts(ctx context.Context, req openapi.ListAlertsRequestObject) (openapi.ListAlertsResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p := req.Params
	f := Filter{HostID: p.HostId}
	if p.Severity != nil {
		f.Severity = Severity(*p.Severity)
	}
	if p.Type != nil {
		f.Type = Type(*p.Type)
	}
	if p.Status != nil {
		if *p.Status == openapi.ListAlertsParamsStatusActive {
			f.Active = true
		} else {
			f.Status = Status(*p.Status)
		}
	}
	if p.AssignedTo != nil {
		switch v := strings.TrimSpace(*p.AssignedTo); v {
		case "", "all":
		case "unassigned":
			f.Unassigned = true
		case "me":
			id := actor(ctx).UserID
			f.AssignedTo = &id
		default:
			id, err := uuid.Parse(v)
			if err != nil {
				return nil, errAssignee
			}
			f.AssignedTo = &id
		}
	}
	if p.Limit != nil {
		f.Limit = *p.Limit
	}
	if p.Offset != nil {
		f.Offset = *p.Offset
	}
	list, total, err := s.List(ctx, f)
	if err != nil {
		return nil, err
	}
	out := openapi.ListAlerts200JSONResponse{Alerts: make([]openapi.Alert, len(list)), Total: total}
	for i, al := range list {
		out.Alerts[i] = alertJSON(al)
	}
	return out, nil
}

// GetAlertSummary implements GET /api/v1/alerts/summary.
func (a *API) GetAlertSummary(ctx context.Context, _ openapi.GetAlertSummaryRequestObject) (openapi.GetAlertSummaryResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	sum, err := s.Summarize(ctx)
	if err != nil {
		return nil, err
	}
	out := openapi.GetAlertSummary200JSONResponse{Open: sum.Open, Acknowledged: sum.Acknowledged, Silenced: sum.Silenced,
		ResolvedLast24h: sum.ResolvedLast24h}
	out.BySeverity.Informational = sum.BySeverity[SeverityInformational]
	out.BySeverity.Warning = sum.BySeverity[SeverityWarning]
	out.BySeverity.Error = sum.BySeverity[SeverityError]
	out.BySeverity.Critical = sum.BySeverity[SeverityCritical]
	return out, nil
}

// ListAlertAssignees implements GET /api/v1/alerts/assignees.
func (a *API) ListAlertAssignees(ctx context.Context, _ openapi.ListAlertAssigneesRequestObject) (openapi.ListAlertAssigneesResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	list, err := s.Assignees(ctx)
	if err != nil {
		return nil, err
	}
	out := make(openapi.ListAlertAssignees200JSONResponse, len(list))
	for i, u := range list {
		out[i] = openapi.AlertUser{Id: u.ID, Username: u.Username}
	}
	return out, nil
}

// ListAlertConfig implements GET /api/v1/alerts/config.
func (a *API) ListAlertConfig(ctx context.Context, _ openapi.ListAlertConfigRequestObject) (openapi.ListAlertConfigResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	list, err := s.TypeConfigs(ctx)
	if err != nil {
		return nil, err
	}
	out := make(openapi.ListAlertConfig200JSONResponse, len(list))
	for i, c := range list {
		out[i] = configJSON(c)
	}
	return out, nil
}

// UpdateAlertConfig implements PUT /api/v1/alerts/config/{alertType}.
func (a *API) UpdateAlertConfig(ctx context.Context, req openapi.UpdateAlertConfigRequestObject) (openapi.UpdateAlertConfigResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	b := req.Body
	c, err := s.UpdateTypeConfig(ctx, TypeConfig{Type: Type(req.AlertType), Enabled: b.Enabled, DefaultSeverity: Severity(b.DefaultSeverity),
		DelayMinutes: b.DelayMinutes, Threshold: b.Threshold, AutoAssignUserID: b.AutoAssignUserId,
		EscalateAfterMinutes: b.EscalateAfterMinutes, RetentionDays: b.RetentionDays})
	if err != nil {
		return nil, err
	}
	return openapi.UpdateAlertConfig200JSONResponse(configJSON(c)), nil
}

// GetAlert implements GET /api/v1/alerts/{alertId}.
func (a *API) GetAlert(ctx context.Context, req openapi.GetAlertRequestObject) (openapi.GetAlertResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	al, hist, err := s.Get(ctx, req.AlertId)
	if err != nil {
		return nil, err
	}
	out := openapi.GetAlert200JSONResponse{Alert: alertJSON(al), History: make([]openapi.AlertHistoryEntry, len(hist))}
	for i, h := range hist {
		d := h.Details
		if d == nil {
			d = map[string]any{}
		}
		out.History[i] = openapi.AlertHistoryEntry{Id: h.ID, Action: h.Action, UserId: h.UserID, Username: h.Username,
			Note: h.Note, Details: d, CreatedAt: h.CreatedAt}
	}
	return out, nil
}

func updated(a Alert) openapi.AlertUpdatedJSONResponse {
	return openapi.AlertUpdatedJSONResponse(alertJSON(a))
}

// AcknowledgeAlert implements POST /api/v1/alerts/{alertId}/acknowledge.
func (a *API) AcknowledgeAlert(ctx context.Context, req openapi.AcknowledgeAlertRequestObject) (openapi.AcknowledgeAlertResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	var n *string
	if req.Body != nil {
		n = req.Body.Note
	}
	al, err := s.Acknowledge(ctx, req.AlertId, actor(ctx), note(n))
	if err != nil {
		return nil, err
	}
	return openapi.AcknowledgeAlert200JSONResponse{AlertUpdatedJSONResponse: updated(al)}, nil
}

// AssignAlert implements POST /api/v1/alerts/{alertId}/assign.
func (a *API) AssignAlert(ctx context.Context, req openapi.AssignAlertRequestObject) (openapi.AssignAlertResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	al, err := s.Assign(ctx, req.AlertId, req.Body.UserId, actor(ctx), note(req.Body.Note))
	if err != nil {
		return nil, err
	}
	return openapi.AssignAlert200JSONResponse{AlertUpdatedJSONResponse: updated(al)}, nil
}

// SilenceAlert implements POST /api/v1/alerts/{alertId}/silence.
func (a *API) SilenceAlert(ctx context.Context, req openapi.SilenceAlertRequestObject) (openapi.SilenceAlertResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	al, err := s.Silence(ctx, req.AlertId, req.Body.Until, actor(ctx), note(req.Body.Note))
	if err != nil {
		return nil, err
	}
	return openapi.SilenceAlert200JSONResponse{AlertUpdatedJSONResponse: updated(al)}, nil
}

// ResolveAlert implements POST /api/v1/alerts/{alertId}/resolve.
func (a *API) ResolveAlert(ctx context.Context, req openapi.ResolveAlertRequestObject) (openapi.ResolveAlertResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	var n *string
	if req.Body != nil {
		n = req.Body.Note
	}
	al, err := s.Resolve(ctx, req.AlertId, actor(ctx), note(n))
	if err != nil {
		return nil, err
	}
	return openapi.ResolveAlert200JSONResponse{AlertUpdatedJSONResponse: updated(al)}, nil
}
