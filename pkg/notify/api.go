package notify

import (
	"context"
	"net/http"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// API serves the notification operations of openapi.StrictServerInterface. It is created
// with the route table and bound to a Service once the server has started; until then
// requests get 503.
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

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func configIn(c *openapi.NotificationDestinationConfig) *DestinationConfig {
	if c == nil {
		return nil
	}
	out := DestinationConfig{URL: str(c.Url), Host: str(c.Host), Username: str(c.Username), From: str(c.From),
		ServerURL: str(c.ServerUrl), Topic: str(c.Topic)}
	if c.Port != nil {
		out.Port = *c.Port
	}
	if c.Security != nil {
		out.Security = string(*c.Security)
	}
	if c.To != nil {
		out.To = *c.To
	}
	if c.TlsSkipVerify != nil {
		out.TLSSkipVerify = *c.TlsSkipVerify
	}
	return &out
}

func configOut(c DestinationConfig) openapi.NotificationDestinationConfig {
	out := openapi.NotificationDestinationConfig{Url: nonEmpty(c.URL), Host: nonEmpty(c.Host), Username: nonEmpty(c.Username),
		From: nonEmpty(c.From), ServerUrl: nonEmpty(c.ServerURL), Topic: nonEmpty(c.Topic)}
	if c.Port != 0 {
		out.Port = &c.Port
	}
	if c.Security != "" {
		sec := openapi.NotificationDestinationConfigSecurity(c.Security)
		out.Security = &sec
	}
	if len(c.To) > 0 {
		out.To = &c.To
	}
	if c.TLSSkipVerify {
		out.TlsSkipVerify = &c.TLSSkipVerify
	}
	return out
}

func secretsIn(s *openapi.NotificationSecretsInput) *SecretsInput {
	if s == nil {
		return nil
	}
	return &SecretsInput{SigningSecret: s.SigningSecret, Headers: s.Headers, Password: s.Password, Token: s.Token, WebhookURL: s.WebhookUrl}
}

func destinationOut(d Destination) openapi.NotificationDestination {
	out := openapi.NotificationDestination{Id: d.ID, Name: d.Name, Type: openapi.NotificationDestinationType(d.Type),
		Enabled: d.Enabled, Config: configOut(d.Config), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		LastStatus: nonEmpty(d.LastStatus), LastDeliveryAt: d.LastDelivery,
		Secrets: openapi.NotificationMaskedSecrets{SigningSecret: nonEmpty(d.Secrets.SigningSecret), Password: nonEmpty(d.Secrets.Password),
			Token: nonEmpty(d.Secrets.Token), WebhookUrl: nonEmpty(d.Secrets.WebhookURL)}}
	if len(d.Secrets.Headers) > 0 {
		h := d.Secrets.Headers
		out.Secrets.Headers = &h
	}
	return out
}

// ListNotificationDestinations implements GET /api/v1/notifications/destinations.
func (a *API) ListNotificationDestinations(ctx context.Context, _ openapi.ListNotificationDestinationsRequestObject) (openapi.ListNotificationDestinationsResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	list, err := s.ListDestinations(ctx)
	if err != nil {
		return nil, err
	}
	out := make(openapi.ListNotificationDestinations200JSONResponse, len(list))
	for i, d := range list {
		out[i] = destinationOut(d)
	}
	return out, nil
}

// CreateNotificationDestination implements POST /api/v1/notifications/destinations.
func (a *API) CreateNotificationDestination(ctx context.Context, req openapi.CreateNotificationDestinationRequestObject) (openapi.CreateNotificationDestinationResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	b := req.Body
	d, err := s.CreateDestination(ctx, DestinationInput{Name: &b.Name, Type: DestinationType(b.Type), Enabled: b.Enabled,
		Config: configIn(b.Config), Secrets: secretsIn(b.Secrets)})
	if err != nil {
		return nil, err
	}
	return openapi.CreateNotificationDestination201JSONResponse(destinationOut(d)), nil
}

// GetNotificationDestination implements GET /api/v1/notifications/destinations/{destinationId}.
func (a *API) GetNotificationDestination(ctx context.Context, req openapi.GetNotificationDestinationRequestObject) (openapi.GetNotificationDestinationResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	d, err := s.GetDestination(ctx, req.DestinationId)
	if err != nil {
		return nil, err
	}
	return openapi.GetNotificationDestination200JSONResponse(destinationOut(d)), nil
}

// UpdateNotificationDestination implements PUT /api/v1/notifications/destinations/{destinationId}.
func (a *API) UpdateNotificationDestination(ctx context.Context, req openapi.UpdateNotificationDestinationRequestObject) (openapi.UpdateNotificationDestinationResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	b := req.Body
	in := DestinationInput{Name: b.Name, Enabled: b.Enabled, Config: configIn(b.Config), Secrets: secretsIn(b.Secrets)}
	if b.Type != nil {
		in.Type = DestinationType(*b.Type)
	}
	d, err := s.UpdateDestination(ctx, req.DestinationId, in)
	if err != nil {
		return nil, err
	}
	return openapi.UpdateNotificationDestination200JSONResponse(destinationOut(d)), nil
}

// DeleteNotificationDestination implements DELETE /api/v1/notifications/destinations/{destinationId}.
func (a *API) DeleteNotificationDestination(ctx context.Context, req openapi.DeleteNotificationDestinationRequestObject) (openapi.DeleteNotificationDestinationResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	if err := s.DeleteDestination(ctx, req.DestinationId); err != nil {
		return nil, err
	}
	return openapi.DeleteNotificationDestination204Response{}, nil
}

// TestNotificationDestination implements POST /api/v1/notifications/destinations/{destinationId}/test.
func (a *API) TestNotificationDestination(ctx context.Context, req openapi.TestNotificationDestinationRequestObject) (openapi.TestNotificationDestinationResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	res, err := s.SendTest(ctx, req.DestinationId)
	if err != nil {
		return nil, err
	}
	return openapi.TestNotificationDestination200JSONResponse{DeliveryId: res.DeliveryID, Success: res.Succeeded,
		ResponseCode: res.ResponseCode, Error: nonEmpty(res.Error), DurationMs: int(res.Duration.Milliseconds())}, nil
}

func uuids(p *[]uuid.UUID) []uuid.UUID {
	if p == nil {
		return nil
	}
	return *p
}

func routeIn(b *openapi.NotificationRouteInput) RouteInput {
	in := RouteInput{Name: b.Name, Enabled: b.Enabled == nil || *b.Enabled, HostGroupIDs: uuids(b.HostGroupIds),
		HostIDs: uuids(b.HostIds), DestinationIDs: b.DestinationIds}
	if b.EventTypes != nil {
		in.EventTypes = *b.EventTypes
	}
	if b.MinSeverity != nil {
		in.MinSeverity = Severity(*b.MinSeverity)
	}
	return in
}

func routeOut(r Route) openapi.NotificationRoute {
	return openapi.NotificationRoute{Id: r.ID, Name: r.Name, Enabled: r.Enabled, EventTypes: r.EventTypes,
		MinSeverity: openapi.NotificationSeverity(r.MinSeverity), HostGroupIds: r.HostGroupIDs, HostIds: r.HostIDs,
		DestinationIds: r.DestinationIDs, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// ListNotificationRoutes implements GET /api/v1/notifications/routes.
func (a *API) ListNotificationRoutes(ctx context.Context, _ openapi.ListNotificationRoutesRequestObject) (openapi.ListNotificationRoutesResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	list, err := s.ListRoutes(ctx)
	if err != nil {
		return nil, err
	}
	out := make(openapi.ListNotificationRoutes200JSONResponse, len(list))
	for i, r := range list {
		out[i] = routeOut(r)
	}
	return out, nil
}

// CreateNotificationRoute implements POST /api/v1/notifications/routes.
func (a *API) CreateNotificationRoute(ctx context.Context, req openapi.CreateNotificationRouteRequestObject) (openapi.CreateNotificationRouteResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	r, err := s.CreateRoute(ctx, routeIn(req.Body))
	if err != nil {
		return nil, err
	}
	return openapi.CreateNotificationRoute201JSONResponse(routeOut(r)), nil
}

// UpdateNotificationRoute implements PUT /api/v1/notifications/routes/{routeId}.
func (a *API) UpdateNotificationRoute(ctx context.Context, req openapi.UpdateNotificationRouteRequestObject) (openapi.UpdateNotificationRouteResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	r, err := s.UpdateRoute(ctx, req.RouteId, routeIn(req.Body))
	if err != nil {
		return nil, err
	}
	return openapi.UpdateNotificationRoute200JSONResponse(routeOut(r)), nil
}

// DeleteNotificationRoute implements DELETE /api/v1/notifications/routes/{routeId}.
func (a *API) DeleteNotificationRoute(ctx context.Context, req openapi.DeleteNotificationRouteRequestObject) (openapi.DeleteNotificationRouteResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	if err := s.DeleteRoute(ctx, req.RouteId); err != nil {
		return nil, err
	}
	return openapi.DeleteNotificationRoute204Response{}, nil
}

// ListNotificationDeliveries implements GET /api/v1/notifications/deliveries.
func (a *API) ListNotificationDeliveries(ctx context.Context, req openapi.ListNotificationDeliveriesRequestObject) (openapi.ListNotificationDeliveriesResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p := req.Params
	f := DeliveryFilter{DestinationID: p.DestinationId, EventType: str(p.EventType)}
	if p.Status != nil {
		f.Status = string(*p.Status)
	}
	if p.Limit != nil {
		f.Limit = *p.Limit
	}
	if p.Offset != nil {
		f.Offset = *p.Offset
	}
	list, total, err := s.ListDeliveries(ctx, f)
	if err != nil {
		return nil, err
	}
	out := openapi.ListNotificationDeliveries200JSONResponse{Total: total, Deliveries: make([]openapi.NotificationDelivery, len(list))}
	for i, d := range list {
		o := openapi.NotificationDelivery{Id: d.ID, DestinationId: d.DestinationID, DestinationName: d.DestinationName,
			DestinationType: openapi.NotificationDestinationType(d.DestinationType), RouteId: d.RouteID, EventType: d.EventType,
			Severity: openapi.NotificationSeverity(d.Severity), Title: d.Title, Status: openapi.NotificationDeliveryStatus(d.Status),
			Attempts: d.Attempts, MaxAttempts: d.MaxAttempts, NextAttemptAt: d.NextAttemptAt, LastError: d.LastError,
			ResponseCode: d.ResponseCode, DeliveredAt: d.DeliveredAt, CreatedAt: d.CreatedAt,
			AttemptsLog: make([]openapi.NotificationAttempt, len(d.Log))}
		for j, at := range d.Log {
			o.AttemptsLog[j] = openapi.NotificationAttempt{Attempt: at.Attempt, Success: at.Succeeded, ResponseCode: at.ResponseCode,
				Error: at.Error, DurationMs: at.DurationMs, At: at.At}
		}
		out.Deliveries[i] = o
	}
	return out, nil
}

// GetNotificationOptions implements GET /api/v1/notifications/options.
func (a *API) GetNotificationOptions(ctx context.Context, _ openapi.GetNotificationOptionsRequestObject) (openapi.GetNotificationOptionsResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	groups, hosts, err := s.Targets(ctx)
	if err != nil {
		return nil, err
	}
	out := openapi.GetNotificationOptions200JSONResponse{EventTypes: EventTypes,
		HostGroups: refs(groups), Hosts: refs(hosts)}
	for _, t := range DestinationTypes {
		out.DestinationTypes = append(out.DestinationTypes, openapi.NotificationDestinationType(t))
	}
	for _, v := range Severities {
		out.Severities = append(out.Severities, openapi.NotificationSeverity(v))
	}
	return out, nil
}

func refs(in []HostRef) []openapi.NotificationNamedRef {
	out := make([]openapi.NotificationNamedRef, len(in))
	for i, r := range in {
		out[i] = openapi.NotificationNamedRef{Id: r.ID, Name: r.Name}
	}
	return out
}
