package httpx

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/uptrace/bunrouter"

	"github.com/patchmon-go/patchmon/pkg/kv"
)

// Category groups routes for rate limiting and body limits. It is declared per operation in
// the spec with the x-rate-limit extension; operations without it are CategoryGeneral.
type Category string

// Route categories.
const (
	CategoryGeneral Category = "general"
	CategoryAuth    Category = "auth"
	CategoryAgent   Category = "agent"
	CategoryNone    Category = "none" // not rate limited (health checks)
)

// RouteInfo describes the spec operation serving a request. It is what middleware sees
// instead of raw URLs: the pattern, the operation and the extensions declared for it.
type RouteInfo struct {
	Method      string
	Pattern     string // as in the spec: /api/v1/hosts/{id}
	OperationID string
	Category    Category
	// Permission is the x-permission extension: the permission a caller needs, "public"
	// for endpoints anyone may call, or "" when none was declared.
	Permission string
	// BodyLimit is the x-body-limit extension ("agent" selects the agent report limit).
	BodyLimit string
	Operation *openapi3.Operation
	PathItem  *openapi3.PathItem
}

// Limit is one rate-limit rule.
type Limit struct {
	Max    int
	Window time.Duration
}

// RouterConfig configures a Router.
type RouterConfig struct {
	// Spec is the loaded OpenAPI document; every mounted operation must be in it. Required.
	Spec *openapi3.T
	// Logger receives request logs and errors. Default: discard.
	Logger *slog.Logger
	// Limiter backs the rate limits; nil disables rate limiting. Default: nil.
	Limiter kv.Limiter
	// Limits per category; a category without a rule is not limited. Default: none.
	Limits map[Category]Limit
	// BodyLimit caps request bodies. Default: 5 MiB.
	BodyLimit int64
	// AgentBodyLimit caps bodies of routes with x-body-limit: agent. Default: 2 MiB.
	AgentBodyLimit int64
	// TrustProxy resolves client IPs. Default: trust nothing.
	TrustProxy TrustProxy
	// NotFound serves paths no route matches (the dashboard). Default: JSON 404.
	NotFound http.Handler
	// RouteMiddleware wraps every route's handler after rate limiting and before body
	// handling and validation; authentication and permission checks live here. An error
	// (for example an operation whose x-permission nobody enforces) is kept and reported by
	// Err, so a misdeclared route stops the server from being built. Default: none.
	RouteMiddleware []func(RouteInfo, http.Handler) (http.Handler, error)
}

// Router is the server's single route table. It implements the ServeMux interface of the
// generated code, so openapi.HandlerWithOptions registers every operation here; each is
// mounted on bunrouter with its spec pattern and wrapped with rate limiting, body limits,
// gzip request decoding and validation against the spec.
type Router struct {
	cfg    RouterConfig
	bun    *bunrouter.Router
	routes map[string]*RouteInfo
	errs   []error
}

// Err reports the problems RouteMiddleware found while routes were mounted.
func (rt *Router) Err() error { return errors.Join(rt.errs...) }

// NewRouter returns an empty route table.
func NewRouter(cfg RouterConfig) (*Router, error) {
	if cfg.Spec == nil {
		return nil, errors.New("httpx: RouterConfig.Spec is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = 5 << 20
	}
	if cfg.AgentBodyLimit <= 0 {
		cfg.AgentBodyLimit = 2 << 20
	}
	rt := &Router{cfg: cfg, routes: map[string]*RouteInfo{}}
	notFound := cfg.NotFound
	if notFound == nil {
		notFound = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			WriteError(w, http.StatusNotFound, CodeNotFound, "Not found")
		})
	}
	rt.bun = bunrouter.New(
		bunrouter.WithNotFoundHandler(func(w http.ResponseWriter, req bunrouter.Request) error {
			if strings.HasPrefix(req.URL.Path, "/api/") {
				WriteError(w, http.StatusNotFound, CodeNotFound, "Endpoint not found: "+req.Method+" "+req.URL.Path)
				return nil
			}
			notFound.ServeHTTP(w, req.Request)
			return nil
		}),
		bunrouter.WithMethodNotAllowedHandler(func(w http.ResponseWriter, req bunrouter.Request) error {
			WriteError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowd, "Method "+req.Method+" is not allowed on "+req.URL.Path)
			return nil
		}),
	)
	return rt, nil
}

// ServeHTTP dispatches to the matching route.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) { rt.bun.ServeHTTP(w, r) }

// HandleFunc mounts a handler for a "METHOD /path/{param}" pattern taken from the spec.
// It panics when the operation is not in the spec: handlers are generated from the same
// document, so a mismatch is a build error, not a runtime condition.
func (rt *Router) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		panic("httpx: pattern without method: " + pattern)
	}
	rt.Handle(method, path, http.HandlerFunc(h))
}

// Handle mounts h for an operation of the spec (used for handlers that are not generated,
// such as WebSocket upgrades, which are still described in the spec).
func (rt *Router) Handle(method, path string, h http.Handler) {
	item := rt.cfg.Spec.Paths.Value(path)
	if item == nil || item.GetOperation(method) == nil {
		panic(fmt.Sprintf("httpx: %s %s is not in the OpenAPI spec", method, path))
	}
	op := item.GetOperation(method)
	info := &RouteInfo{Method: method, Pattern: path, OperationID: op.OperationID, Category: CategoryGeneral,
		Operation: op, PathItem: item}
	if v, ok := op.Extensions["x-rate-limit"].(string); ok {
		info.Category = Category(v)
	}
	if v, ok := op.Extensions["x-permission"].(string); ok {
		info.Permission = v
	}
	if v, ok := op.Extensions["x-body-limit"].(string); ok {
		info.BodyLimit = v
	}
	key := method + " " + path
	if _, dup := rt.routes[key]; dup {
		panic("httpx: route mounted twice: " + key)
	}
	rt.routes[key] = info

	var next http.Handler = rt.validate(info, h)
	next = rt.body(info, next)
	for i := len(rt.cfg.RouteMiddleware) - 1; i >= 0; i-- {
		wrapped, err := rt.cfg.RouteMiddleware[i](*info, next)
		if err != nil {
			rt.errs = append(rt.errs, err)
			wrapped = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				WriteError(w, http.StatusInternalServerError, CodeInternal, "Route is misconfigured")
			})
		}
		next = wrapped
	}
	next = rt.rateLimit(info, next)
	rt.bun.Handle(method, bunPattern(path), func(w http.ResponseWriter, req bunrouter.Request) error {
		r := req.Request
		for _, p := range req.Params().Slice() {
			r.SetPathValue(p.Key, p.Value)
		}
		if st := stateFrom(r.Context()); st != nil {
			st.route = info
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), routeKey{}, info)))
		return nil
	})
}

// Routes lists the mounted operations sorted by pattern then method.
func (rt *Router) Routes() []RouteInfo {
	out := make([]RouteInfo, 0, len(rt.routes))
	for _, r := range rt.routes {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pattern != out[j].Pattern {
			return out[i].Pattern < out[j].Pattern
		}
		return out[i].Method < out[j].Method
	})
	return out
}

type routeKey struct{}

// RouteFromContext returns the operation serving the request, or nil outside a route.
func RouteFromContext(ctx context.Context) *RouteInfo {
	ri, _ := ctx.Value(routeKey{}).(*RouteInfo)
	return ri
}

func bunPattern(specPath string) string {
	var b strings.Builder
	for i := 0; i < len(specPath); i++ {
		c := specPath[i]
		if c == '{' {
			end := strings.IndexByte(specPath[i:], '}')
			b.WriteByte(':')
			b.WriteString(specPath[i+1 : i+end])
			i += end
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// rateLimit applies the category's limit per client IP and sets the RateLimit-* headers.
func (rt *Router) rateLimit(info *RouteInfo, next http.Handler) http.Handler {
	lim, ok := rt.cfg.Limits[info.Category]
	if rt.cfg.Limiter == nil || !ok || info.Category == CategoryNone || lim.Max <= 0 {
		return next
	}
	message := "Too many requests, please try again later."
	switch info.Category {
	case CategoryAuth:
		message = "Too many authentication attempts, please try again later."
	case CategoryAgent:
		message = "Too many requests from this agent, please try again later."
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := ClientIP(r)
		d, err := rt.cfg.Limiter.Allow(r.Context(), "rl:"+string(info.Category)+":"+ip.String(), lim.Max, lim.Window)
		if err != nil {
			// A broken limiter must not take the API down: log and let the request through.
			rt.cfg.Logger.WarnContext(r.Context(), "rate limiter unavailable", "err", err)
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
		h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
		h.Set("RateLimit-Reset", strconv.Itoa(ceilSeconds(d.ResetAfter)))
		if !d.Allowed {
			retry := ceilSeconds(d.RetryAfter)
			h.Set("Retry-After", strconv.Itoa(retry))
			WriteJSON(w, http.StatusTooManyRequests, map[string]any{"error": message, "retryAfter": retry})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func ceilSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	if s < 0 {
		return 0
	}
	return s
}

// body enforces the route's body limit and decodes gzip request bodies (agents may compress
// reports); the limit applies to the decompressed size too.
func (rt *Router) body(info *RouteInfo, next http.Handler) http.Handler {
	limit := rt.cfg.BodyLimit
	if info.BodyLimit == "agent" {
		limit = rt.cfg.AgentBodyLimit
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > limit {
			WriteError(w, http.StatusRequestEntityTooLarge, CodeBodyTooLarge, BodyTooLargeMessage(limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
		case "", "identity":
		case "gzip":
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				if IsBodyTooLarge(err) {
					WriteError(w, http.StatusRequestEntityTooLarge, CodeBodyTooLarge, BodyTooLargeMessage(limit))
					return
				}
				WriteError(w, http.StatusBadRequest, CodeBadEncoding, "Request body is not valid gzip")
				return
			}
			r.Body = http.MaxBytesReader(w, readCloser{zr, r.Body}, limit)
			r.Header.Del("Content-Encoding")
			r.ContentLength = -1
		default:
			WriteError(w, http.StatusUnsupportedMediaType, CodeBadEncoding, "Unsupported Content-Encoding "+strconv.Quote(enc)+": send identity or gzip")
			return
		}
		next.ServeHTTP(w, r)
	})
}

type readCloser struct {
	io.Reader
	underlying io.Closer
}

func (rc readCloser) Close() error { return rc.underlying.Close() }

// validate checks the request against its operation in the spec.
func (rt *Router) validate(info *RouteInfo, next http.Handler) http.Handler {
	// Authentication is enforced by the x-permission middleware, not here. The validator's
	// security step does no checking with a no-op authenticator, yet it reads every request
	// body into memory first; an operation copy without security requirements skips it.
	op := *info.Operation
	op.Security = &openapi3.SecurityRequirements{}
	route := &routers.Route{Spec: rt.cfg.Spec, Path: info.Pattern, PathItem: info.PathItem, Method: info.Method, Operation: &op}
	if len(rt.cfg.Spec.Servers) > 0 {
		route.Server = rt.cfg.Spec.Servers[0]
	}
	// A body described without any schema (agent reports) is left to the handler, which
	// decodes and validates it in one streaming pass; the validator would otherwise read
	// the whole body into memory only to find nothing to check.
	opts := &openapi3filter.Options{ExcludeRequestBody: !bodyHasSchema(info.Operation)}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		params := map[string]string{}
		for _, p := range info.Operation.Parameters {
			if p.Value != nil && p.Value.In == openapi3.ParameterInPath {
				params[p.Value.Name] = r.PathValue(p.Value.Name)
			}
		}
		for _, p := range info.PathItem.Parameters {
			if p.Value != nil && p.Value.In == openapi3.ParameterInPath {
				params[p.Value.Name] = r.PathValue(p.Value.Name)
			}
		}
		err := openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
			Request: r, PathParams: params, Route: route, Options: opts,
		})
		if err != nil {
			if IsBodyTooLarge(err) {
				limit := rt.cfg.BodyLimit
				if info.BodyLimit == "agent" {
					limit = rt.cfg.AgentBodyLimit
				}
				WriteError(w, http.StatusRequestEntityTooLarge, CodeBodyTooLarge, BodyTooLargeMessage(limit))
				return
			}
			msg, field := ValidationMessage(err)
			WriteJSON(w, http.StatusBadRequest, Error{Message: msg, Code: CodeValidation, Field: field})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bodyHasSchema reports whether any media type of op's request body carries a schema.
func bodyHasSchema(op *openapi3.Operation) bool {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return false
	}
	for _, mt := range op.RequestBody.Value.Content {
		if mt != nil && mt.Schema != nil {
			return true
		}
	}
	return false
}

// ValidationMessage turns a kin-openapi validation error into a message that names the
// offending field, and the field itself (a dotted path for body fields).
func ValidationMessage(err error) (msg, field string) {
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		return "Invalid request: " + err.Error(), ""
	}
	reason := re.Reason
	var se *openapi3.SchemaError
	hasSchemaErr := errors.As(re.Err, &se)
	if hasSchemaErr && se.Reason != "" {
		reason = se.Reason
	} else if reason == "" && re.Err != nil {
		reason = re.Err.Error()
	}
	switch {
	case re.Parameter != nil:
		field = re.Parameter.Name
		return fmt.Sprintf("Invalid %s parameter %q: %s", re.Parameter.In, field, reason), field
	case re.RequestBody != nil:
		if hasSchemaErr {
			field = strings.Join(se.JSONPointer(), ".")
		}
		if field == "" {
			return "Invalid request body: " + reason, ""
		}
		return fmt.Sprintf("Invalid request body: field %q %s", field, reason), field
	}
	return "Invalid request: " + reason, ""
}

// ClientIP returns the client address resolved by the Instrument middleware, or the peer.
func ClientIP(r *http.Request) netip.Addr {
	if st := stateFrom(r.Context()); st != nil {
		return st.clientIP
	}
	return remoteAddr(r)
}

// IsSecureRequest reports what the Instrument middleware decided about TLS for r.
func IsSecureRequest(r *http.Request) bool {
	if st := stateFrom(r.Context()); st != nil {
		return st.secure
	}
	return r.TLS != nil
}
