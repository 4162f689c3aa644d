package httpx

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/klauspost/compress/gzhttp"
)

// requestState is created once per request by Instrument and filled in as the request
// travels: the router records the matched route, Instrument logs it at the end.
type requestState struct {
	clientIP netip.Addr
	secure   bool
	route    *RouteInfo
}

type stateKey struct{}

func stateFrom(ctx context.Context) *requestState {
	st, _ := ctx.Value(stateKey{}).(*requestState)
	return st
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush sends buffered data to the client (server-sent events, streamed exports).
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands the connection to a WebSocket upgrader.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("httpx: connection cannot be hijacked")
	}
	if w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return hj.Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer (flush, hijack, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// InstrumentConfig configures Instrument.
type InstrumentConfig struct {
	Logger     *slog.Logger
	TrustProxy TrustProxy
	// LogRequests turns per-request log lines on. Default: false.
	LogRequests bool
}

// Instrument is the outermost middleware: it resolves the client IP and TLS state once,
// recovers panics into a 500 JSON response, and writes one structured log line per request
// (successful agent and health traffic at debug level, so a busy fleet does not flood logs).
func Instrument(cfg InstrumentConfig, next http.Handler) http.Handler {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := &requestState{clientIP: cfg.TrustProxy.ClientIP(r), secure: cfg.TrustProxy.IsSecure(r)}
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(r.Context(), "panic serving request", "method", r.Method, "path", r.URL.Path,
					"panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					WriteError(sw, http.StatusInternalServerError, CodeInternal, "Internal server error")
				}
			}
			if !cfg.LogRequests {
				return
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			level := slog.LevelInfo
			pattern := ""
			if st.route != nil {
				pattern = st.route.Pattern
				if status < 400 && (st.route.Category == CategoryAgent || st.route.Category == CategoryNone) {
					level = slog.LevelDebug
				}
			}
			if status >= 500 {
				level = slog.LevelError
			}
			log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path, "route", pattern,
				"status", status, "bytes", sw.bytes, "duration_ms", float64(time.Since(start).Microseconds())/1000,
				"client_ip", st.clientIP.String())
		}()
		next.ServeHTTP(sw, r)
	})
}

// SecurityHeaders sets the browser hardening headers on every response. HSTS is only sent
// when hsts is true and the request arrived over HTTPS (directly or via a trusted proxy).
// A handler may replace the Content-Security-Policy it needs (the API reference does).
func SecurityHeaders(hsts bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Content-Security-Policy", DefaultCSP)
		if hsts && IsSecureRequest(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// DefaultCSP allows only same-origin scripts; inline styles are allowed because the
// dashboard's chart library sets style attributes.
const DefaultCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' ws: wss:; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// CORS answers preflight requests and adds CORS headers for the allowed origins ("*" allows
// any origin, without credentials). Requests from other origins get no CORS headers, so
// browsers refuse them; a preflight from such an origin is answered 403.
func CORS(origins []string, next http.Handler) http.Handler {
	allowAll := false
	allowed := map[string]bool{}
	for _, o := range origins {
		if o == "*" {
			allowAll = true
		}
		allowed[strings.TrimRight(strings.ToLower(o), "/")] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		ok := allowed[strings.ToLower(origin)]
		switch {
		case ok:
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
		case allowAll:
			h.Set("Access-Control-Allow-Origin", "*")
			ok = true
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if !ok {
				WriteError(w, http.StatusForbidden, "cors_forbidden", "Origin "+origin+" is not allowed")
				return
			}
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
			reqHeaders := r.Header.Get("Access-Control-Request-Headers")
			if reqHeaders == "" {
				reqHeaders = "Content-Type, Authorization"
			}
			h.Set("Access-Control-Allow-Headers", reqHeaders)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if ok {
			h.Set("Access-Control-Expose-Headers", "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After")
		}
		next.ServeHTTP(w, r)
	})
}

// Compress gzips responses for clients that accept it (dashboard assets, JSON lists);
// small bodies and already-compressed types are sent as they are.
func Compress(next http.Handler) http.Handler {
	return gzhttp.GzipHandler(next)
}
