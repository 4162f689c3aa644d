package httpx

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/kv"
)

// testSpec exercises the validation paths: path, query and body parameters of several
// types, enums and required fields, and the per-operation extensions.
const testSpec = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /api/v1/items/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: integer}}
    get:
      operationId: getItem
      x-permission: can_view_items
      parameters:
        - {name: view, in: query, schema: {type: string, enum: [short, long]}}
      responses: {"200": {description: ok}}
  /api/v1/items:
    post:
      operationId: createItem
      x-rate-limit: auth
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name, owner]
              properties:
                name: {type: string, minLength: 1}
                count: {type: integer}
                kind: {type: string, enum: [a, b]}
                owner:
                  type: object
                  required: [email]
                  properties:
                    email: {type: string}
      responses: {"200": {description: ok}}
  /api/v1/reports:
    post:
      operationId: postReport
      x-rate-limit: agent
      x-body-limit: agent
      requestBody:
        content:
          application/json:
            schema: {type: object}
      responses: {"200": {description: ok}}
`

func newTestRouter(t *testing.T, mut func(*RouterConfig)) *Router {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(testSpec))
	require.NoError(t, err)
	require.NoError(t, doc.Validate(t.Context()))
	cfg := RouterConfig{Spec: doc, BodyLimit: 1024, AgentBodyLimit: 64}
	if mut != nil {
		mut(&cfg)
	}
	rt, err := NewRouter(cfg)
	require.NoError(t, err)
	echo := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		WriteJSON(w, 200, map[string]any{"id": r.PathValue("id"), "route": RouteFromContext(r.Context()).Pattern,
			"op": RouteFromContext(r.Context()).OperationID, "body": string(body)})
	}
	rt.HandleFunc("GET /api/v1/items/{id}", echo)
	rt.HandleFunc("POST /api/v1/items", echo)
	rt.HandleFunc("POST /api/v1/reports", echo)
	return rt
}

func do(h http.Handler, method, target, body string, hdr map[string]string) *httptest.ResponseRecorder {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, target, nil)
	} else {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &m), w.Body.String())
	return m
}

func TestRouterMountsSpecPatterns(t *testing.T) {
	rt := newTestRouter(t, nil)
	w := do(rt, "GET", "/api/v1/items/42?view=long", "", nil)
	require.Equal(t, 200, w.Code, w.Body.String())
	m := decode(t, w)
	assert.Equal(t, "42", m["id"])
	assert.Equal(t, "/api/v1/items/{id}", m["route"])
	assert.Equal(t, "getItem", m["op"])

	routes := rt.Routes()
	require.Len(t, routes, 3)
	assert.Equal(t, CategoryAuth, routes[0].Category)
	assert.Equal(t, "can_view_items", routes[1].Permission)
	assert.Equal(t, "agent", routes[2].BodyLimit)

	assert.Equal(t, 404, do(rt, "GET", "/api/v1/nothing", "", nil).Code)
	assert.Equal(t, 405, do(rt, "DELETE", "/api/v1/items", "", nil).Code)
	assert.Panics(t, func() { rt.HandleFunc("GET /api/v1/unknown", nil) }, "operations outside the spec are refused")
}

func TestValidationNamesTheField(t *testing.T) {
	rt := newTestRouter(t, nil)
	cases := []struct {
		name, method, target, body, field, contains string
	}{
		{"path type", "GET", "/api/v1/items/abc", "", "id", `path parameter "id"`},
		{"query enum", "GET", "/api/v1/items/1?view=wide", "", "view", `query parameter "view"`},
		{"missing body", "POST", "/api/v1/items", "", "", "Invalid request body"},
		{"missing required", "POST", "/api/v1/items", `{"owner":{"email":"a@b"}}`, "name", `"name"`},
		{"nested required", "POST", "/api/v1/items", `{"name":"x","owner":{}}`, "owner.email", `"owner.email"`},
		{"wrong type", "POST", "/api/v1/items", `{"name":"x","count":"many","owner":{"email":"e"}}`, "count", `field "count"`},
		{"enum", "POST", "/api/v1/items", `{"name":"x","kind":"z","owner":{"email":"e"}}`, "kind", `field "kind"`},
		{"not json", "POST", "/api/v1/items", `{nope`, "", "Invalid request body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := do(rt, tc.method, tc.target, tc.body, nil)
			require.Equal(t, 400, w.Code, w.Body.String())
			m := decode(t, w)
			assert.Equal(t, CodeValidation, m["code"])
			assert.Contains(t, m["error"], tc.contains)
			if tc.field != "" {
				assert.Equal(t, tc.field, m["field"])
			}
		})
	}
	w := do(rt, "POST", "/api/v1/items", `{"name":"x","count":3,"owner":{"email":"e"}}`, nil)
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Contains(t, decode(t, w)["body"], `"count":3`, "the handler still sees the body after validation")
}

func TestBodyLimitsAndGzip(t *testing.T) {
	rt := newTestRouter(t, nil)
	big := `{"name":"` + strings.Repeat("x", 2000) + `","owner":{"email":"e"}}`
	w := do(rt, "POST", "/api/v1/items", big, nil)
	require.Equal(t, 413, w.Code)
	assert.Contains(t, decode(t, w)["error"], "1kb")

	// The agent route has its own, smaller limit.
	w = do(rt, "POST", "/api/v1/reports", `{"k":"`+strings.Repeat("y", 100)+`"}`, nil)
	require.Equal(t, 413, w.Code)
	assert.Contains(t, decode(t, w)["error"], "64 bytes")

	// gzip bodies are decoded, and the limit applies to the decoded size (no zip bombs).
	gz := func(s string) string {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.String()
	}
	w = do(rt, "POST", "/api/v1/reports", gz(`{"a":1}`), map[string]string{"Content-Encoding": "gzip"})
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Equal(t, `{"a":1}`, decode(t, w)["body"])
	bomb := gz(`{"k":"` + strings.Repeat("0", 100000) + `"}`)
	require.Less(t, len(bomb), 64*10)
	w = do(rt, "POST", "/api/v1/reports", bomb, map[string]string{"Content-Encoding": "gzip"})
	assert.Equal(t, 413, w.Code, w.Body.String())
	w = do(rt, "POST", "/api/v1/reports", `{}`, map[string]string{"Content-Encoding": "br"})
	assert.Equal(t, 415, w.Code)
	w = do(rt, "POST", "/api/v1/reports", `not gzip`, map[string]string{"Content-Encoding": "gzip"})
	assert.Equal(t, 400, w.Code)
}

func TestRateLimitHeadersAnd429(t *testing.T) {
	store := kv.NewMemory()
	t.Cleanup(store.Close)
	rt := newTestRouter(t, func(c *RouterConfig) {
		c.Limiter = store
		c.Limits = map[Category]Limit{CategoryGeneral: {Max: 3, Window: time.Minute}, CategoryAuth: {Max: 1, Window: time.Minute}}
	})
	h := Instrument(InstrumentConfig{}, rt)
	for i := 0; i < 3; i++ {
		w := do(h, "GET", "/api/v1/items/1", "", nil)
		require.Equal(t, 200, w.Code)
		assert.Equal(t, "3", w.Header().Get("RateLimit-Limit"))
		assert.Equal(t, []string{"2", "1", "0"}[i], w.Header().Get("RateLimit-Remaining"))
		assert.NotEmpty(t, w.Header().Get("RateLimit-Reset"))
	}
	w := do(h, "GET", "/api/v1/items/1", "", nil)
	require.Equal(t, 429, w.Code)
	m := decode(t, w)
	assert.Equal(t, "Too many requests, please try again later.", m["error"])
	assert.Greater(t, m["retryAfter"], float64(0))
	assert.NotEmpty(t, w.Header().Get("Retry-After"))

	// Categories and clients are counted separately.
	w = do(h, "POST", "/api/v1/items", `{"name":"x","owner":{"email":"e"}}`, nil)
	require.Equal(t, 200, w.Code)
	w = do(h, "POST", "/api/v1/items", `{"name":"x","owner":{"email":"e"}}`, nil)
	require.Equal(t, 429, w.Code)
	assert.Contains(t, decode(t, w)["error"], "authentication")
	r := httptest.NewRequest("GET", "/api/v1/items/1", nil)
	r.RemoteAddr = "192.0.2.77:5555"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	assert.Equal(t, 200, rec.Code, "another client has its own budget")
	// Agent routes have no rule configured here, so they are not limited.
	assert.Equal(t, "", do(h, "POST", "/api/v1/reports", `{}`, nil).Header().Get("RateLimit-Limit"))
}

func TestTrustProxy(t *testing.T) {
	req := func(peer, xff, proto string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = peer
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		if proto != "" {
			r.Header.Set("X-Forwarded-Proto", proto)
		}
		return r
	}
	cases := []struct {
		setting, peer, xff, want string
	}{
		{"false", "10.0.0.1:1", "203.0.113.9", "10.0.0.1"},
		{"true", "10.0.0.1:1", "203.0.113.9, 10.0.0.5", "203.0.113.9"},
		{"1", "10.0.0.1:1", "198.51.100.1, 203.0.113.9", "203.0.113.9"},
		{"2", "10.0.0.1:1", "198.51.100.1, 203.0.113.9", "198.51.100.1"},
		{"10.0.0.0/8", "10.0.0.1:1", "198.51.100.1, 10.0.0.7", "198.51.100.1"},
		{"10.0.0.0/8", "192.0.2.1:1", "198.51.100.1", "192.0.2.1"},
		{"loopback", "[::ffff:127.0.0.1]:1", "2001:db8::1", "2001:db8::1"},
		{"true", "10.0.0.1:1", "", "10.0.0.1"},
	}
	for _, tc := range cases {
		tp, err := ParseTrustProxy(tc.setting)
		require.NoError(t, err, tc.setting)
		assert.Equal(t, tc.want, tp.ClientIP(req(tc.peer, tc.xff, "")).String(), "%s %s %s", tc.setting, tc.peer, tc.xff)
	}
	tp, _ := ParseTrustProxy("true")
	assert.True(t, tp.IsSecure(req("10.0.0.1:1", "", "https")))
	tp, _ = ParseTrustProxy("false")
	assert.False(t, tp.IsSecure(req("10.0.0.1:1", "", "https")), "untrusted peers cannot claim HTTPS")
	for _, bad := range []string{"maybe", "10.0.0.0/99", "-1"} {
		_, err := ParseTrustProxy(bad)
		assert.Error(t, err, bad)
	}
}

func TestSecurityHeadersCORSAndRecovery(t *testing.T) {
	tp, _ := ParseTrustProxy("true")
	panicky := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			panic("boom")
		}
		w.WriteHeader(204)
	})
	h := Instrument(InstrumentConfig{TrustProxy: tp}, SecurityHeaders(true, CORS([]string{"https://ui.example.com"}, panicky)))

	w := do(h, "GET", "/x", "", nil)
	assert.Equal(t, "DENY", w.Header().Get("X-Frame-Options"))
	assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	assert.NotEmpty(t, w.Header().Get("Referrer-Policy"))
	assert.Contains(t, w.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'")
	assert.Empty(t, w.Header().Get("Strict-Transport-Security"), "no HSTS over plain HTTP")
	w = do(h, "GET", "/x", "", map[string]string{"X-Forwarded-Proto": "https"})
	assert.Contains(t, w.Header().Get("Strict-Transport-Security"), "max-age=")

	w = do(h, "OPTIONS", "/api/v1/x", "", map[string]string{"Origin": "https://ui.example.com", "Access-Control-Request-Method": "POST"})
	assert.Equal(t, 204, w.Code)
	assert.Equal(t, "https://ui.example.com", w.Header().Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", w.Header().Get("Access-Control-Allow-Credentials"))
	w = do(h, "OPTIONS", "/api/v1/x", "", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
	assert.Equal(t, 403, w.Code)
	w = do(h, "GET", "/x", "", map[string]string{"Origin": "https://evil.example"})
	assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))

	w = do(h, "GET", "/boom", "", nil)
	assert.Equal(t, 500, w.Code)
	assert.Equal(t, "Internal server error", decode(t, w)["error"])
}

func TestCompressAndHijackThroughWrappers(t *testing.T) {
	big := strings.Repeat(`{"package":"libc6","version":"2.36"},`, 500)
	h := Instrument(InstrumentConfig{}, Compress(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws" {
			conn, rw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				w.WriteHeader(500)
				return
			}
			rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
			rw.Flush()
			conn.Close()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, big)
	})))
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/list", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, "gzip", res.Header.Get("Content-Encoding"))
	zr, err := gzip.NewReader(res.Body)
	require.NoError(t, err)
	b, _ := io.ReadAll(zr)
	assert.Equal(t, big, string(b))

	// A WebSocket upgrade must still be able to take over the connection.
	req, _ = http.NewRequest("GET", srv.URL+"/ws", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res2, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(res2.Body)
	res2.Body.Close()
	assert.Equal(t, "hijacked", string(body), "hijack must work through Instrument and Compress")
}

func TestRouteMiddlewareErrorsAreReported(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(testSpec))
	require.NoError(t, err)
	rt, err := NewRouter(RouterConfig{Spec: doc, RouteMiddleware: []func(RouteInfo, http.Handler) (http.Handler, error){
		func(ri RouteInfo, next http.Handler) (http.Handler, error) {
			if ri.Permission == "" {
				return nil, errors.New(ri.OperationID + " has no permission")
			}
			return next, nil
		},
	}})
	require.NoError(t, err)
	rt.HandleFunc("GET /api/v1/items/{id}", func(w http.ResponseWriter, r *http.Request) {})
	require.NoError(t, rt.Err())
	rt.HandleFunc("POST /api/v1/items", func(w http.ResponseWriter, r *http.Request) {})
	assert.ErrorContains(t, rt.Err(), "createItem has no permission")
}
