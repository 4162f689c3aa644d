package enrollment

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// EnrollAPI serves the auto-enrollment operations of the generated
// openapi.StrictServerInterface. Like inventory.API it is created with the route table
// and bound to a Service once the server has started; until then requests get 503.
type EnrollAPI struct {
	svc atomic.Pointer[Service]
}

// NewEnrollAPI returns an unbound EnrollAPI.
func NewEnrollAPI() *EnrollAPI { return &EnrollAPI{} }

// Bind makes the API serve with svc; nil unbinds it.
func (api *EnrollAPI) Bind(svc *Service) { api.svc.Store(svc) }

// Service returns the bound service, or nil before the server has started.
func (api *EnrollAPI) Service() *Service { return api.svc.Load() }

var errUnavailable = httpx.NewError(http.StatusServiceUnavailable, httpx.CodeUnavailable, "Server is starting, try again shortly")

func (api *EnrollAPI) service() (*Service, error) {
	s := api.svc.Load()
	if s == nil {
		return nil, errUnavailable
	}
	return s, nil
}

// reply is a JSON response with a status of its own choosing, for the documented error
// shapes the generic error renderer does not produce ({"errors": [...]}, and the 429
// with its "message").
type reply struct {
	status int
	body   any
}

func (r reply) write(w http.ResponseWriter) error {
	httpx.WriteJSON(w, r.status, r.body)
	return nil
}

func (r reply) VisitCreateEnrollmentTokenResponse(w http.ResponseWriter) error { return r.write(w) }
func (r reply) VisitUpdateEnrollmentTokenResponse(w http.ResponseWriter) error { return r.write(w) }
func (r reply) VisitEnrollHostResponse(w http.ResponseWriter) error            { return r.write(w) }
func (r reply) VisitEnrollHostsBulkResponse(w http.ResponseWriter) error       { return r.write(w) }

// failure turns the errors with a documented body into a reply; other errors are
// returned for the server's error handler.
func failure(err error) (reply, error) {
	var v *ValidationError
	if errors.As(err, &v) {
		p := v.Problems[0]
		code := httpx.CodeValidation
		problems := make([]openapi.EnrollmentProblem, len(v.Problems))
		for i, q := range v.Problems {
			problems[i] = openapi.EnrollmentProblem{Msg: q.Msg, Param: q.Param, Location: q.Location}
		}
		return reply{http.StatusBadRequest, openapi.EnrollmentValidationError{Error: p.Msg, Code: &code, Field: &p.Param,
			Errors: problems}}, nil
	}
	var q *QuotaError
	if errors.As(err, &q) {
		code := CodeQuotaExceeded
		return reply{http.StatusTooManyRequests, openapi.EnrollmentQuotaError{Error: "Rate limit exceeded",
			Message: q.Message, Code: &code}}, nil
	}
	return reply{}, err
}

func groupOut(g *GroupRef) *openapi.EnrollmentHostGroup {
	if g == nil {
		return nil
	}
	return &openapi.EnrollmentHostGroup{Id: g.ID, Name: g.Name, Color: g.Color}
}

func userOut(u *UserRef) *openapi.EnrollmentUser {
	if u == nil {
		return nil
	}
	return &openapi.EnrollmentUser{Id: u.ID, Username: u.Username, FirstName: u.FirstName, LastName: u.LastName}
}

func scopesOut(sc Scopes) *openapi.EnrollmentScopes {
	if sc == nil {
		return nil
	}
	o := openapi.EnrollmentScopes(sc)
	return &o
}

func tokenOut(t TokenInfo) openapi.EnrollmentToken {
	return openapi.EnrollmentToken{Id: t.ID, TokenName: t.Name, TokenKey: t.Key, IsActive: t.IsActive,
		AllowedIpRanges: t.AllowedIPRanges, MaxHostsPerDay: t.MaxHostsPerDay, HostsCreatedToday: t.HostsCreatedToday,
		LastUsedAt: t.LastUsedAt, ExpiresAt: t.ExpiresAt, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
		DefaultHostGroupId: t.DefaultHostGroupID, Metadata: t.Metadata, Scopes: scopesOut(t.Scopes),
		HostGroups: groupOut(t.DefaultHostGroup), Users: userOut(t.CreatedBy)}
}

// ListEnrollmentTokens implements GET /api/v1/auto-enrollment/tokens.
func (api *EnrollAPI) ListEnrollmentTokens(ctx context.Context, req openapi.ListEnrollmentTokensRequestObject) (openapi.ListEnrollmentTokensResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	typ := ""
	if req.Params.IntegrationType != nil {
		typ = string(*req.Params.IntegrationType)
	}
	list, err := s.ListTokens(ctx, typ)
	if err != nil {
		return nil, err
	}
	out := make(openapi.ListEnrollmentTokens200JSONResponse, len(list))
	for i, t := range list {
		out[i] = tokenOut(t)
	}
	return out, nil
}

func tokenInput(name *string, active *bool, maxHosts *int, group *string, ranges *[]string, expires *string,
	meta *map[string]any, scopes *openapi.EnrollmentScopes) TokenInput {
	in := TokenInput{Name: name, IsActive: active, MaxHostsPerDay: maxHosts, DefaultHostGroupID: group,
		AllowedIPRanges: ranges, ExpiresAt: expires, Metadata: meta}
	if scopes != nil {
		sc := Scopes(*scopes)
		in.Scopes = &sc
	}
	return in
}

// CreateEnrollmentToken implements POST /api/v1/auto-enrollment/tokens.
func (api *EnrollAPI) CreateEnrollmentToken(ctx context.Context, req openapi.CreateEnrollmentTokenRequestObject) (openapi.CreateEnrollmentTokenResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	b := req.Body
	if b == nil {
		b = &openapi.EnrollmentTokenCreateRequest{}
	}
	ct, err := s.CreateToken(ctx, tokenInput(b.TokenName, nil, b.MaxHostsPerDay, b.DefaultHostGroupId,
		b.AllowedIpRanges, b.ExpiresAt, b.Metadata, b.Scopes))
	if err != nil {
		return failure(err)
	}
	u := s.UsageFor(ctx, ct)
	usage := openapi.EnrollmentUsage{IntegrationType: openapi.EnrollmentIntegrationType(u.IntegrationType),
		ServerUrl: u.ServerURL, Examples: make([]openapi.EnrollmentExample, len(u.Examples))}
	for i, e := range u.Examples {
		usage.Examples[i] = openapi.EnrollmentExample{Title: e.Title, Command: e.Command}
	}
	opt := func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}
	usage.ScriptUrl, usage.OneLiner, usage.BasicAuth, usage.GethomepageYaml = opt(u.ScriptURL), opt(u.OneLiner), opt(u.BasicAuth), opt(u.GetHomepageYAML)
	return openapi.CreateEnrollmentToken201JSONResponse{
		Message: "Auto-enrollment token created successfully",
		Token: openapi.EnrollmentTokenCreated{Id: ct.ID, TokenName: ct.Name, TokenKey: ct.Key, TokenSecret: ct.Secret,
			IsActive: ct.IsActive, MaxHostsPerDay: ct.MaxHostsPerDay, AllowedIpRanges: ct.AllowedIPRanges,
			DefaultHostGroup: groupOut(ct.DefaultHostGroup), CreatedBy: userOut(ct.CreatedBy), ExpiresAt: ct.ExpiresAt,
			Metadata: ct.Metadata, Scopes: scopesOut(ct.Scopes), CreatedAt: ct.CreatedAt},
		Warning: "⚠️ Save the token_secret now - it cannot be retrieved later!",
		Usage:   usage,
	}, nil
}

// GetEnrollmentToken implements GET /api/v1/auto-enrollment/tokens/{tokenId}.
func (api *EnrollAPI) GetEnrollmentToken(ctx context.Context, req openapi.GetEnrollmentTokenRequestObject) (openapi.GetEnrollmentTokenResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	t, err := s.GetToken(ctx, uuid.UUID(req.TokenId))
	if err != nil {
		return nil, err
	}
	return openapi.GetEnrollmentToken200JSONResponse(tokenOut(t)), nil
}

// UpdateEnrollmentToken implements PATCH /api/v1/auto-enrollment/tokens/{tokenId}.
func (api *EnrollAPI) UpdateEnrollmentToken(ctx context.Context, req openapi.UpdateEnrollmentTokenRequestObject) (openapi.UpdateEnrollmentTokenResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	b := req.Body
	if b == nil {
		b = &openapi.EnrollmentTokenUpdateRequest{}
	}
	t, err := s.UpdateToken(ctx, uuid.UUID(req.TokenId), tokenInput(b.TokenName, b.IsActive, b.MaxHostsPerDay,
		b.DefaultHostGroupId, b.AllowedIpRanges, b.ExpiresAt, b.Metadata, b.Scopes))
	if err != nil {
		return failure(err)
	}
	return openapi.UpdateEnrollmentToken200JSONResponse{Message: "Token updated successfully", Token: tokenOut(t)}, nil
}

// DeleteEnrollmentToken implements DELETE /api/v1/auto-enrollment/tokens/{tokenId}.
func (api *EnrollAPI) DeleteEnrollmentToken(ctx context.Context, req openapi.DeleteEnrollmentTokenRequestObject) (openapi.DeleteEnrollmentTokenResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	id := uuid.UUID(req.TokenId)
	name, err := s.DeleteToken(ctx, id)
	if err != nil {
		return nil, err
	}
	out := openapi.DeleteEnrollmentToken200JSONResponse{Message: "Auto-enrollment token deleted successfully"}
	out.DeletedToken.Id, out.DeletedToken.TokenName = id, name
	return out, nil
}

// scriptReply serves a script: never cached, since it carries credentials.
type scriptReply struct {
	name, body string
}

func (sr scriptReply) VisitGetEnrollmentScriptResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `inline; filename="`+sr.name+`"`)
	w.WriteHeader(http.StatusOK)
	_, err := w.Write([]byte(sr.body))
	return err
}

// GetEnrollmentScript implements GET /api/v1/auto-enrollment/script.
func (api *EnrollAPI) GetEnrollmentScript(ctx context.Context, req openapi.GetEnrollmentScriptRequestObject) (openapi.GetEnrollmentScriptResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	p := req.Params
	typ := deref(p.Type)
	if _, ok := scriptFiles[typ]; !ok {
		return nil, ErrInvalidScriptType
	}
	c := Credentials{Scheme: SchemeEnrollment, Key: deref(p.TokenKey), Secret: deref(p.TokenSecret), ClientIP: clientIP(ctx)}
	if _, err := s.Authenticate(ctx, c); err != nil {
		return nil, err
	}
	force, _ := strconv.ParseBool(deref(p.Force))
	body, err := s.Script(ctx, typ, c.Key, c.Secret, force)
	if err != nil {
		return nil, err
	}
	return scriptReply{name: ScriptName(typ), body: body}, nil
}

func hostRequest(b openapi.EnrollmentHostRequest) HostRequest {
	h := HostRequest{FriendlyName: deref(b.FriendlyName), MachineID: deref(b.MachineId)}
	if b.Metadata != nil {
		h.Metadata = *b.Metadata
	}
	return h
}

func enrolledOut(e EnrolledHost) openapi.EnrolledHost {
	o := openapi.EnrolledHost{Id: e.ID, FriendlyName: e.FriendlyName, HostGroup: groupOut(e.Group), Status: e.Status}
	if e.MachineID != "" {
		o.MachineId = &e.MachineID
	}
	if e.Credentials != nil {
		o.ApiId, o.ApiKey = &e.Credentials.APIID, &e.Credentials.APIKey
	}
	return o
}

// EnrollHost implements POST /api/v1/auto-enrollment/enroll.
func (api *EnrollAPI) EnrollHost(ctx context.Context, req openapi.EnrollHostRequestObject) (openapi.EnrollHostResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	t, ok := TokenFromContext(ctx)
	if !ok {
		return nil, ErrCredentialsRequired
	}
	var b openapi.EnrollmentHostRequest
	if req.Body != nil {
		b = *req.Body
	}
	e, err := s.Enroll(ctx, t, hostRequest(b))
	if err != nil {
		return failure(err)
	}
	if e.Skipped {
		skipped := true
		return openapi.EnrollHost200JSONResponse{Message: "Host already enrolled with this token; nothing was created",
			Skipped: &skipped, Host: enrolledOut(e)}, nil
	}
	return openapi.EnrollHost201JSONResponse{Message: "Host enrolled successfully", Host: enrolledOut(e)}, nil
}

// EnrollHostsBulk implements POST /api/v1/auto-enrollment/enroll/bulk.
func (api *EnrollAPI) EnrollHostsBulk(ctx context.Context, req openapi.EnrollHostsBulkRequestObject) (openapi.EnrollHostsBulkResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	t, ok := TokenFromContext(ctx)
	if !ok {
		return nil, ErrCredentialsRequired
	}
	var hosts []HostRequest
	if req.Body != nil && req.Body.Hosts != nil {
		for _, h := range *req.Body.Hosts {
			hosts = append(hosts, hostRequest(h))
		}
	}
	res, err := s.EnrollBulk(ctx, t, hosts)
	if err != nil {
		return failure(err)
	}
	out := openapi.EnrollHostsBulk201JSONResponse{
		Message: "Bulk enrollment completed: " + strconv.Itoa(len(res.Success)) + " succeeded, " +
			strconv.Itoa(len(res.Failed)) + " failed, " + strconv.Itoa(len(res.Skipped)) + " skipped",
	}
	out.Results.Success = make([]openapi.EnrollmentBulkSuccess, 0, len(res.Success))
	out.Results.Failed = make([]openapi.EnrollmentBulkFailure, 0, len(res.Failed))
	out.Results.Skipped = make([]openapi.EnrollmentBulkSkip, 0, len(res.Skipped))
	for _, e := range res.Success {
		o := openapi.EnrollmentBulkSuccess{Id: e.ID, FriendlyName: e.FriendlyName, ApiId: e.Credentials.APIID, ApiKey: e.Credentials.APIKey}
		if e.MachineID != "" {
			o.MachineId = &e.MachineID
		}
		out.Results.Success = append(out.Results.Success, o)
	}
	for _, f := range res.Failed {
		o := openapi.EnrollmentBulkFailure{FriendlyName: f.FriendlyName, Error: f.Error}
		if f.MachineID != "" {
			mid := f.MachineID
			o.MachineId = &mid
		}
		out.Results.Failed = append(out.Results.Failed, o)
	}
	for _, e := range res.Skipped {
		out.Results.Skipped = append(out.Results.Skipped, openapi.EnrollmentBulkSkip{Id: e.ID, FriendlyName: e.FriendlyName,
			MachineId: e.MachineID, Reason: "Already enrolled with this token"})
	}
	return out, nil
}

// clientIP is the client address the strict middleware recorded for the request.
func clientIP(ctx context.Context) netip.Addr {
	a, err := netip.ParseAddr(users.ClientFrom(ctx).IP)
	if err != nil {
		return netip.Addr{}
	}
	return a
}
