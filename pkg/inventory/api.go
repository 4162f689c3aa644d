package inventory

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/agentproto"
	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// API serves the agent endpoints of the generated openapi.StrictServerInterface; the
// server embeds it so that method promotion wires them. It is created with the route
// table, before the database exists, and bound to a Service by Bind once the server has
// started; until then (and after Unbind) requests get 503.
type API struct {
	svc    atomic.Pointer[Service]
	agents atomic.Pointer[agentControlBox]
}

// NewAPI returns an unbound API.
func NewAPI() *API { return &API{} }

// Bind makes the API serve with svc; nil unbinds it.
func (api *API) Bind(svc *Service) { api.svc.Store(svc) }

var errUnavailable = httpx.NewError(http.StatusServiceUnavailable, httpx.CodeUnavailable, "Server is starting, try again shortly")

func (api *API) service() (*Service, error) {
	s := api.svc.Load()
	if s == nil {
		return nil, errUnavailable
	}
	return s, nil
}

// httpError maps err to an API error the server's error handler renders; errors that
// are not the client's fault pass through and become 500s.
func httpError(err error) error {
	if ae := apiError(err); ae != nil {
		return ae
	}
	return err
}

// writeError renders err for handlers that run outside the strict layer.
func writeError(w http.ResponseWriter, err error) {
	ae := apiError(err)
	if ae == nil {
		ae = httpx.NewError(http.StatusInternalServerError, httpx.CodeInternal, "Internal server error")
	}
	httpx.WriteJSON(w, ae.Status, httpx.Error{Message: ae.Message, Code: ae.Code, Field: ae.Field})
}

// bodyMeter counts and hashes a request body as the router reads it, so the report
// handler knows the payload size and can recognise a byte-identical retry without
// buffering the body a second time.
type bodyMeter struct {
	r    io.ReadCloser
	h    hash.Hash
	n    int64
	done bool
	// length is the declared length of an uncompressed body, else -1.
	length int64
}

// packagesCapacity guesses from the declared body length how many packages a report
// holds, so that decoding fills one array instead of growing it step by step. Agents
// send 250–320 bytes of JSON per package (name, versions, description, repository), so
// one per bytesPerPackage leaves some room without holding much more than needed; a
// report of unusually short packages grows the array once. Only the length of
// Report.Packages has meaning, so a spare capacity changes nothing else.
func (m *bodyMeter) packagesCapacity() int {
	const bytesPerPackage = 220
	if m == nil || m.length <= 0 {
		return 0
	}
	return int(min(m.length/bytesPerPackage, agentproto.MaxPackages))
}

func (m *bodyMeter) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.n += int64(n)
	m.h.Write(p[:n])
	if err == io.EOF {
		m.done = true
	}
	return n, err
}

func (m *bodyMeter) Close() error { return m.r.Close() }

// meta returns what the meter saw; the digest only when the whole body was read.
func (m *bodyMeter) meta() ReportMeta {
	if !m.done {
		// The decoder may stop before EOF (trailing white space); finish the body so the
		// digest covers it.
		if _, err := io.Copy(io.Discard, m); err != nil {
			return ReportMeta{BodySize: m.n}
		}
	}
	rm := ReportMeta{BodySize: m.n}
	copy(rm.Digest[:], m.h.Sum(nil))
	return rm
}

type meterKey struct{}

// reportKey carries the report decoded by PostHostsUpdate, for middleware that runs
// around the handler (see ReportFromContext).
type reportKey struct{}

type reportHolder struct{ r *agentproto.Report }

// ReportFromContext returns the report PostHostsUpdate decoded for this request, for
// strict middleware wrapped around it (the real-time layer publishes report events with
// it). It is available once the handler has returned, and only for a report that
// decoded; Ingest has cleaned it by then.
func ReportFromContext(ctx context.Context) (*agentproto.Report, bool) {
	h, ok := ctx.Value(reportKey{}).(*reportHolder)
	if !ok || h.r == nil {
		return nil, false
	}
	return h.r, true
}

// decodeJSON decodes an agent request body in a single pass: these bodies are declared
// without a schema in the spec, so the router's validation does not parse them first.
// It returns false for an empty body.
//
// The decoder is goccy/go-json: a 200-package report decodes about four times faster
// than with encoding/json, which was 40 % of the server's CPU per report (see
// docs/decisions.md). A panic inside the decoder on hostile input becomes a 400.
func decodeJSON(body io.Reader, dst any) (ok bool, err error) {
	if body == nil {
		return false, nil
	}
	defer func() {
		if p := recover(); p != nil {
			ok, err = false, httpx.NewError(http.StatusBadRequest, httpx.CodeValidation, fmt.Sprintf("Invalid JSON body: %v", p))
		}
	}()
	err = gojson.NewDecoder(body).Decode(dst)
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		if httpx.IsBodyTooLarge(err) {
			return false, httpx.NewError(http.StatusRequestEntityTooLarge, httpx.CodeBodyTooLarge, "Request body too large")
		}
		return false, httpx.NewError(http.StatusBadRequest, httpx.CodeValidation, "Invalid JSON body: "+err.Error())
	}
	return true, nil
}

// RequireAgent authenticates a request by its X-API-ID and X-API-KEY headers and puts
// the Agent in its context (see AgentFromContext); it answers 401 with a JSON error
// otherwise. It is the enforcer of `x-permission: agent`.
func (api *API) RequireAgent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := api.service()
		if err != nil {
			writeError(w, err)
			return
		}
		a, err := s.Authenticate(r.Context(), r.Header.Get(agentproto.HeaderAPIID), r.Header.Get(agentproto.HeaderAPIKey))
		if err != nil {
			if apiError(err) == nil {
				s.log.ErrorContext(r.Context(), "agent authentication failed", "err", err)
			}
			writeError(w, err)
			return
		}
		// The router decodes gzip request bodies on every route: say so, and agents
		// that understand the header compress their reports from then on.
		w.Header().Set(agentproto.HeaderAcceptEncoding, "gzip")
		ctx := WithAgent(r.Context(), a)
		ctx = context.WithValue(ctx, reportKey{}, &reportHolder{})
		if r.Body != nil && r.Body != http.NoBody {
			m := &bodyMeter{r: r.Body, h: sha256.New(), length: -1}
			if enc := strings.TrimSpace(r.Header.Get("Content-Encoding")); enc == "" || strings.EqualFold(enc, "identity") {
				m.length = r.ContentLength
			}
			r.Body = m
			ctx = context.WithValue(ctx, meterKey{}, m)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// agent returns the service and the authenticated agent of a request.
func (api *API) agent(ctx context.Context) (*Service, Agent, error) {
	s, err := api.service()
	if err != nil {
		return nil, Agent{}, err
	}
	a, ok := AgentFromContext(ctx)
	if !ok {
		// Only a route declared without x-permission: agent gets here.
		return nil, Agent{}, ErrMissingCredentials
	}
	return s, a, nil
}

// PostHostsPing implements POST /api/v1/hosts/ping.
func (api *API) PostHostsPing(ctx context.Context, req openapi.PostHostsPingRequestObject) (openapi.PostHostsPingResponseObject, error) {
	s, a, err := api.agent(ctx)
	if err != nil {
		return nil, httpError(err)
	}
	var (
		body agentproto.PingRequest
		in   *agentproto.PingRequest
	)
	ok, err := decodeJSON(req.Body, &body)
	if err != nil {
		return nil, err
	}
	if ok {
		in = &body
	}
	res, err := s.Ping(ctx, a, in)
	if err != nil {
		return nil, httpError(err)
	}
	out := openapi.PostHostsPing200JSONResponse{
		Message:      agentproto.PingMessage,
		Timestamp:    time.Now().UTC(),
		FriendlyName: res.FriendlyName,
		AgentStartup: res.AgentStartup,
		HashGate:     true,
		Integrations: openapi.AgentIntegrations{Docker: res.Integrations.Docker, Compliance: res.Integrations.Compliance},
	}
	if res.RequestFull != nil {
		out.RequestFull = &res.RequestFull
	}
	return out, nil
}

// PostHostsUpdate implements POST /api/v1/hosts/update.
func (api *API) PostHostsUpdate(ctx context.Context, req openapi.PostHostsUpdateRequestObject) (openapi.PostHostsUpdateResponseObject, error) {
	s, a, err := api.agent(ctx)
	if err != nil {
		return nil, httpError(err)
	}
	if err := s.acquireReportSlot(ctx); err != nil {
		return nil, err
	}
	defer s.releaseReportSlot()
	rep := &agentproto.Report{}
	m, _ := ctx.Value(meterKey{}).(*bodyMeter)
	if n := m.packagesCapacity(); n > 0 {
		rep.Packages = make([]agentproto.Package, 0, n)
	}
	ok, err := decodeJSON(req.Body, rep)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, httpx.NewError(http.StatusBadRequest, CodeInvalidReport, "Invalid report: the body must be a JSON object")
	}
	var meta ReportMeta
	if m != nil {
		meta = m.meta()
	}
	if h, ok := ctx.Value(reportKey{}).(*reportHolder); ok {
		h.r = rep
	}
	res, err := s.Ingest(ctx, a, rep, meta)
	if err != nil {
		return nil, httpError(err)
	}
	out := openapi.PostHostsUpdate200JSONResponse{
		Message:           agentproto.UpdateMessage,
		Success:           true,
		PackagesProcessed: res.PackagesProcessed,
		UpdatesAvailable:  res.UpdatesAvailable,
		SecurityUpdates:   res.SecurityUpdates,
	}
	if au := res.AutoUpdate; au != nil {
		out.AutoUpdate = &openapi.AgentAutoUpdate{ShouldUpdate: au.ShouldUpdate, LatestVersion: au.LatestVersion,
			CurrentVersion: au.CurrentVersion, Message: au.Message}
	}
	return out, nil
}

// GetAgentUpdateInterval implements GET /api/v1/settings/update-interval.
func (api *API) GetAgentUpdateInterval(ctx context.Context, _ openapi.GetAgentUpdateIntervalRequestObject) (openapi.GetAgentUpdateIntervalResponseObject, error) {
	s, a, err := api.agent(ctx)
	if err != nil {
		return nil, httpError(err)
	}
	st, err := s.agentSettings(ctx, a)
	if err != nil {
		return nil, httpError(err)
	}
	return openapi.GetAgentUpdateInterval200JSONResponse{UpdateInterval: st.UpdateInterval}, nil
}

// GetHostIntegrations implements GET /api/v1/hosts/integrations.
func (api *API) GetHostIntegrations(ctx context.Context, _ openapi.GetHostIntegrationsRequestObject) (openapi.GetHostIntegrationsResponseObject, error) {
	s, a, err := api.agent(ctx)
	if err != nil {
		return nil, httpError(err)
	}
	hi, err := s.integrations(ctx, a)
	if err != nil {
		return nil, httpError(err)
	}
	mode := hi.ComplianceMode
	if !hi.Compliance {
		mode = agentproto.ComplianceModeDisabled
	}
	return openapi.GetHostIntegrations200JSONResponse{
		Success:                      true,
		Integrations:                 openapi.AgentIntegrations{Docker: hi.Docker, Compliance: hi.Compliance},
		ComplianceMode:               openapi.AgentIntegrationsResponseComplianceMode(mode),
		ComplianceOpenscapEnabled:    hi.OpenSCAPEnabled,
		ComplianceDockerBenchEnabled: hi.DockerBenchEnabled,
	}, nil
}

// PostHostIntegrationStatus implements POST /api/v1/hosts/integration-status.
func (api *API) PostHostIntegrationStatus(ctx context.Context, req openapi.PostHostIntegrationStatusRequestObject) (openapi.PostHostIntegrationStatusResponseObject, error) {
	s, a, err := api.agent(ctx)
	if err != nil {
		return nil, httpError(err)
	}
	if req.Body == nil {
		return nil, errorf(ErrInvalidInput, "The body must be a JSON object")
	}
	if err := s.saveIntegrationStatus(ctx, a, *req.Body); err != nil {
		return nil, httpError(err)
	}
	return openapi.PostHostIntegrationStatus200JSONResponse{Message: "Integration status updated"}, nil
}

// GetAgentVersion implements GET /api/v1/hosts/agent/version.
func (api *API) GetAgentVersion(ctx context.Context, req openapi.GetAgentVersionRequestObject) (openapi.GetAgentVersionResponseObject, error) {
	s, a, err := api.agent(ctx)
	if err != nil {
		return nil, httpError(err)
	}
	p := req.Params
	if t := deref(p.Type); t != "" && t != "go" {
		return nil, httpError(errorf(ErrNoAgentBinary, "Only Go agents are served (type=go); %q agents are not supported", t))
	}
	goos, goarch, err := platform(deref(p.Os), deref(p.Arch))
	if err != nil {
		return nil, httpError(err)
	}
	st, err := s.agentSettings(ctx, a)
	if err != nil {
		return nil, httpError(err)
	}
	bin, err := s.bins.lookup(goos, goarch)
	if err != nil {
		return nil, httpError(err)
	}
	current := strings.TrimSpace(deref(p.CurrentVersion))
	if current == "" {
		current = st.AgentVersion
	}
	out := openapi.GetAgentVersion200JSONResponse{
		CurrentVersion: current,
		LatestVersion:  bin.Version,
		DownloadUrl:    "/api/v1/hosts/agent/download?arch=" + goarch + "&os=" + goos,
		ReleaseNotes:   "PatchMon Agent v" + bin.Version,
		Architecture:   goarch,
		AgentType:      "go",
		Hash:           bin.SHA256,
	}
	switch {
	case !st.AutoUpdate && !st.HostAutoUpdate:
		out.AutoUpdateDisabled, out.AutoUpdateDisabledReason = true, "Auto-update is disabled in server settings and for this host"
	case !st.AutoUpdate:
		out.AutoUpdateDisabled, out.AutoUpdateDisabledReason = true, "Auto-update is disabled in server settings"
	case !st.HostAutoUpdate:
		out.AutoUpdateDisabled, out.AutoUpdateDisabledReason = true, "Auto-update is disabled for this host"
	}
	out.HasUpdate = !out.AutoUpdateDisabled && current != "" && CompareVersions(bin.Version, current) > 0
	return out, nil
}

// truthy reads a boolean query parameter the way the upstream scripts write them.
func truthy(p *string) bool {
	v := strings.ToLower(deref(p))
	return v == "true" || v == "1" || v == "yes"
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// agentDownload streams an agent binary.
type agentDownload struct {
	f   fs.File
	bin AgentBinary
}

func (d agentDownload) VisitGetAgentDownloadResponse(w http.ResponseWriter) error {
	defer d.f.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(d.bin.Size, 10))
	h.Set("Content-Disposition", `attachment; filename="`+d.bin.Name+`"`)
	h.Set("X-Agent-SHA256", d.bin.SHA256)
	h.Set("X-Agent-Version", d.bin.Version)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err := io.Copy(w, d.f)
	return err
}

// GetAgentDownload implements GET /api/v1/hosts/agent/download.
func (api *API) GetAgentDownload(ctx context.Context, req openapi.GetAgentDownloadRequestObject) (openapi.GetAgentDownloadResponseObject, error) {
	s, a, err := api.agent(ctx)
	if err != nil {
		return nil, httpError(err)
	}
	goos, goarch, err := platform(deref(req.Params.Os), deref(req.Params.Arch))
	if err != nil {
		return nil, httpError(err)
	}
	// The host row decides, not the cached verification: a deleted host downloads nothing.
	if _, err := s.agentSettings(ctx, a); err != nil {
		return nil, httpError(err)
	}
	f, bin, err := s.bins.open(goos, goarch)
	if err != nil {
		return nil, httpError(err)
	}
	return agentDownload{f: f, bin: bin}, nil
}

// script is a text/plain shell script response that must not be cached (installers
// carry a one-time token).
type script []byte

func (sc script) write(w http.ResponseWriter) error {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(sc)
	return err
}

func (sc script) VisitGetAgentInstallScriptResponse(w http.ResponseWriter) error { return sc.write(w) }
func (sc script) VisitGetAgentRemoveScriptResponse(w http.ResponseWriter) error  { return sc.write(w) }

// GetAgentInstallScript implements GET /api/v1/hosts/install.
func (api *API) GetAgentInstallScript(ctx context.Context, req openapi.GetAgentInstallScriptRequestObject) (openapi.GetAgentInstallScriptResponseObject, error) {
	s, a, err := api.agent(ctx)
	if err != nil {
		return nil, httpError(err)
	}
	b, err := s.InstallScript(ctx, a, InstallOptions{
		Arch:     deref(req.Params.Arch),
		OS:       deref(req.Params.Os),
		Force:    truthy(req.Params.Force),
		Insecure: truthy(req.Params.Insecure),
	})
	if err != nil {
		return nil, httpError(err)
	}
	return script(b), nil
}

// GetAgentRemoveScript implements GET /api/v1/hosts/remove.
func (api *API) GetAgentRemoveScript(ctx context.Context, _ openapi.GetAgentRemoveScriptRequestObject) (openapi.GetAgentRemoveScriptResponseObject, error) {
	return script(RemoveScript()), nil
}

// bootstrapCredentials is the no-store JSON answer of a token exchange.
type bootstrapCredentials openapi.AgentBootstrapExchangeResponse

func (b bootstrapCredentials) VisitPostBootstrapExchangeResponse(w http.ResponseWriter) error {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusOK, openapi.AgentBootstrapExchangeResponse(b))
	return nil
}

// PostBootstrapExchange implements POST /api/v1/hosts/bootstrap/exchange.
func (api *API) PostBootstrapExchange(ctx context.Context, req openapi.PostBootstrapExchangeRequestObject) (openapi.PostBootstrapExchangeResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	if req.Body == nil {
		return nil, httpError(ErrInvalidBootstrapToken)
	}
	id, key, err := s.ExchangeBootstrapToken(ctx, req.Body.Token)
	if err != nil {
		return nil, httpError(err)
	}
	return bootstrapCredentials{ApiId: id, ApiKey: key}, nil
}

// Compile-time check that the agent endpoints keep the generated signatures.
var _ interface {
	PostHostsPing(context.Context, openapi.PostHostsPingRequestObject) (openapi.PostHostsPingResponseObject, error)
	PostHostsUpdate(context.Context, openapi.PostHostsUpdateRequestObject) (openapi.PostHostsUpdateResponseObject, error)
} = (*API)(nil)

// createdHost is the 201 answer to host creation; it carries the API key, so it must not
// be cached.
type createdHost openapi.HostCreateResponse

func (c createdHost) VisitCreateHostResponse(w http.ResponseWriter) error {
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, http.StatusCreated, openapi.HostCreateResponse(c))
	return nil
}

// CreateHost implements POST /api/v1/hosts (x-permission: can_manage_hosts).
func (api *API) CreateHost(ctx context.Context, req openapi.CreateHostRequestObject) (openapi.CreateHostResponseObject, error) {
	s, err := api.service()
	if err != nil {
		return nil, err
	}
	if req.Body == nil {
		return nil, httpError(errorf(ErrInvalidInput, "The body must be a JSON object"))
	}
	in := NewHost{FriendlyName: req.Body.FriendlyName}
	if req.Body.HostGroupIds != nil {
		in.HostGroupIDs = *req.Body.HostGroupIds
	}
	if req.Body.DockerEnabled != nil {
		in.DockerEnabled = *req.Body.DockerEnabled
	}
	if req.Body.ComplianceEnabled != nil {
		in.ComplianceEnabled = *req.Body.ComplianceEnabled
	}
	if req.Body.Notes != nil {
		in.Notes = *req.Body.Notes
	}
	h, err := s.CreateHost(ctx, in)
	if err != nil {
		return nil, httpError(err)
	}
	cmd, err := s.InstallCommand(ctx, h.Credentials)
	if err != nil {
		return nil, err
	}
	variants, err := s.installVariants(ctx, h.Credentials)
	if err != nil {
		return nil, err
	}
	s.auditHost(ctx, EventHostCreated, h.ID.String(), h.FriendlyName, nil)
	out := createdHost{
		Message:         "Host created successfully",
		HostId:          h.ID,
		FriendlyName:    h.FriendlyName,
		ApiId:           h.Credentials.APIID,
		ApiKey:          h.Credentials.APIKey,
		HostGroups:      make([]openapi.HostGroupRef, 0, len(h.Groups)),
		InstallCommand:  cmd,
		InstallCommands: variants,
	}
	for _, g := range h.Groups {
		out.HostGroups = append(out.HostGroups, openapi.HostGroupRef{Id: g.ID, Name: g.Name, Color: g.Color})
	}
	return out, nil
}
