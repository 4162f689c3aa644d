package auth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// Cookie names. The access token cookie is "token", as declared in the API description.
const (
	CookieAccess  = "token"
	CookieRefresh = "refresh_token"
	CookieDevice  = "tfa_device"
	CookieOIDC    = "oidc_flow"
	// refreshCookiePath keeps the long-lived cookies away from every other request.
	refreshCookiePath = "/api/v1/auth"
	oidcCookiePath    = "/api/v1/auth/oidc"
	// deviceCookiePath reaches sign-in and the trusted-device list.
	deviceCookiePath = "/api/v1"
)

// UserFrom returns the signed-in user of a request (set by Require), or nil and false.
// Handlers of operations whose x-permission is "authenticated" or a permission can rely
// on it being there.
func UserFrom(ctx context.Context) (*users.Principal, bool) { return users.PrincipalFrom(ctx) }

// ServiceFunc returns the started service, or an error while the server is not started.
type ServiceFunc func() (*Service, error)

// Require admits only signed-in users and, when perm is not empty, only those whose role
// grants perm. The access token is read from "Authorization: Bearer" or the "token" cookie;
// cookie-authenticated requests with unsafe methods must carry an Origin (or Referer) of
// this server or a trusted origin. Failures are answered 401 (not signed in, token or
// session expired), 403 (permission missing, CSRF) or 503 (not started).
func Require(svc ServiceFunc, perm string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := svc()
		if err != nil {
			writeErr(w, ErrUnavailable)
			return
		}
		p, err := s.AuthenticateRequest(r)
		if err != nil {
			var ae *httpx.APIError
			if errors.As(err, &ae) {
				writeErr(w, ae)
				return
			}
			s.log.ErrorContext(r.Context(), "authenticating request failed", "err", err)
			httpx.WriteError(w, http.StatusInternalServerError, httpx.CodeInternal, "Internal server error")
			return
		}
		if perm != "" && !p.Can(perm) {
			writeErr(w, &httpx.APIError{Status: http.StatusForbidden, Code: users.CodeForbidden,
				Message: "You do not have permission to do this (requires " + perm + ")"})
			return
		}
		next.ServeHTTP(w, r.WithContext(users.WithPrincipal(r.Context(), p)))
	})
}

func writeErr(w http.ResponseWriter, e *httpx.APIError) {
	httpx.WriteJSON(w, e.Status, httpx.Error{Message: e.Message, Code: e.Code, Field: e.Field})
}

// AuthenticateRequest resolves the user of r (see Require) including the CSRF check.
// Other features use it where they authenticate outside the route table, such as
// before upgrading a browser WebSocket.
func (s *Service) AuthenticateRequest(r *http.Request) (*users.Principal, error) {
	token, fromCookie := accessToken(r)
	if token == "" {
		return nil, ErrAuthRequired
	}
	p, err := s.Authenticate(r.Context(), token)
	if err != nil {
		return nil, err
	}
	if fromCookie && !safeMethod(r.Method) && !s.TrustedOrigin(r) {
		return nil, ErrCSRF
	}
	return p, nil
}

// accessToken returns the bearer token, else the cookie's.
func accessToken(r *http.Request) (token string, fromCookie bool) {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), false
	}
	if c, err := r.Cookie(CookieAccess); err == nil && c.Value != "" {
		return c.Value, true
	}
	return "", false
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// TrustedOrigin reports whether r's Origin (or, without one, its Referer) is the
// server's own origin or one of TrustedOrigins. Requests naming neither are refused:
// browsers send Origin on every cross-site write.
func (s *Service) TrustedOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		ref, err := url.Parse(r.Header.Get("Referer"))
		if err != nil || ref.Scheme == "" || ref.Host == "" {
			return false
		}
		origin = ref.Scheme + "://" + ref.Host
	}
	origin = strings.ToLower(strings.TrimRight(origin, "/"))
	scheme := "http"
	if httpx.IsSecureRequest(r) {
		scheme = "https"
	}
	if origin == scheme+"://"+strings.ToLower(r.Host) {
		return true
	}
	for _, o := range s.cfg.TrustedOrigins {
		if o != "*" && origin == strings.ToLower(strings.TrimRight(o, "/")) {
			return true
		}
	}
	return false
}

type requestKey struct{}

// StrictMiddleware makes the request available to the handlers of this package (cookies,
// TLS state) and records the client for the audit log. Install it in the generated
// strict handler.
func StrictMiddleware(f openapi.StrictHandlerFunc, _ string) openapi.StrictHandlerFunc {
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, request any) (any, error) {
		ctx = context.WithValue(ctx, requestKey{}, r)
		ctx = users.WithClient(ctx, users.Client{IP: httpx.ClientIP(r).String(), UserAgent: r.UserAgent()})
		return f(ctx, w, r, request)
	}
}

func requestFrom(ctx context.Context) *http.Request {
	r, _ := ctx.Value(requestKey{}).(*http.Request)
	if r == nil {
		r = (&http.Request{Header: http.Header{}, Method: http.MethodGet}).WithContext(ctx)
	}
	return r
}

func cookieValue(r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}
