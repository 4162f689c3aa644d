package agentkit

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/patchmon-go/patchmon/pkg/agentproto"
)

// HeaderAcceptEncoding is the response header by which a server advertises
// that it accepts gzip-compressed request bodies ("gzip"). The agent sends
// compressed reports only after a ping response carried it, so it never
// breaks a server that does not decompress.
const HeaderAcceptEncoding = agentproto.HeaderAcceptEncoding

// gzipMinBytes is the body size from which compression pays off.
const gzipMinBytes = 1024

// HTTPError is a non-success HTTP answer from the server.
type HTTPError struct {
	Method, Path string
	StatusCode   int
	// Message is the server's error message ("error" or "message" of a
	// JSON body), or the start of the body.
	Message string
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("server returned %d", e.StatusCode)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return fmt.Sprintf("%s %s: %s", e.Method, e.Path, msg)
}

// Temporary reports whether retrying later may succeed: server errors,
// timeouts and rate limiting. Other 4xx answers will not change by retrying.
func (e *HTTPError) Temporary() bool {
	return e.StatusCode >= 500 || e.StatusCode == http.StatusRequestTimeout || e.StatusCode == http.StatusTooManyRequests
}

// retryable reports whether a request error may go away by itself: transport
// failures and temporary HTTP errors. A cancelled context is not.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Temporary()
	}
	return true
}

// client speaks the agent's HTTP protocol.
type client struct {
	base    string // ".../api/v1/"
	apiID   string
	apiKey  string
	ua      string
	hc      *http.Client
	timeout time.Duration
	gzip    atomic.Bool
}

func newHTTPClient(skipVerify bool) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 15 * time.Second
	t.ResponseHeaderTimeout = 90 * time.Second
	t.IdleConnTimeout = 90 * time.Second
	t.MaxIdleConns = 2
	if skipVerify {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // explicit operator choice (skip_ssl_verify)
	}
	return &http.Client{Transport: t}
}

func newClient(c Config) *client {
	hc := c.HTTPClient
	if hc == nil {
		hc = newHTTPClient(c.SkipTLSVerify)
	}
	return &client{
		base:    c.ServerURL + "/api/" + c.APIVersion + "/",
		apiID:   c.APIID,
		apiKey:  c.APIKey,
		ua:      "patchmon-agent/" + c.AgentVersion + " (agentkit)",
		hc:      hc,
		timeout: c.RequestTimeout,
	}
}

// do sends a request and decodes a JSON answer into out (when non-nil). body
// is JSON-encoded; nil sends no body.
func (c *client) do(ctx context.Context, method, path string, body, out any) (http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		payload = b
	}
	compressed := false
	if len(payload) >= gzipMinBytes && c.gzip.Load() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		_, _ = zw.Write(payload)
		_ = zw.Close()
		payload = buf.Bytes()
		compressed = true
	}
	resp, err := c.send(ctx, method, path, payload, compressed)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnsupportedMediaType && compressed {
		// The advertisement was wrong (a proxy, a downgrade): stop
		// compressing and send this request again as plain JSON.
		c.gzip.Store(false)
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return c.do(ctx, method, path, body, out)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return resp.Header, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, &HTTPError{Method: method, Path: path, StatusCode: resp.StatusCode, Message: errorMessage(data)}
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.Header, fmt.Errorf("%s %s: unreadable answer: %w", method, path, err)
		}
	}
	return resp.Header, nil
}

func (c *client) send(ctx context.Context, method, path string, payload []byte, compressed bool) (*http.Response, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	c.authorize(req)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
		if compressed {
			req.Header.Set("Content-Encoding", "gzip")
		}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return resp, nil
}

func (c *client) authorize(req *http.Request) {
	req.Header.Set(agentproto.HeaderAPIID, c.apiID)
	req.Header.Set(agentproto.HeaderAPIKey, c.apiKey)
	req.Header.Set("User-Agent", c.ua)
}

// errorMessage extracts a readable message from an error body.
func errorMessage(body []byte) string {
	var m struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &m) == nil {
		if m.Error != "" {
			return m.Error
		}
		if m.Message != "" {
			return m.Message
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// ping sends a check-in (req non-nil) or a heartbeat (nil: empty body).
func (c *client) ping(ctx context.Context, req *agentproto.PingRequest) (*agentproto.PingResponse, error) {
	var resp agentproto.PingResponse
	var body any
	if req != nil {
		body = req
	}
	h, err := c.do(ctx, http.MethodPost, "hosts/ping", body, &resp)
	if err != nil {
		return nil, err
	}
	c.gzip.Store(acceptsGzip(h))
	return &resp, nil
}

func acceptsGzip(h http.Header) bool {
	for _, v := range h.Values(HeaderAcceptEncoding) {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "gzip") {
				return true
			}
		}
	}
	return false
}

func (c *client) update(ctx context.Context, r *agentproto.Report) (*agentproto.UpdateResponse, error) {
	var resp agentproto.UpdateResponse
	if _, err := c.do(ctx, http.MethodPost, "hosts/update", r, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// updateRaw delivers a spooled report as stored.
func (c *client) updateRaw(ctx context.Context, raw json.RawMessage) (*agentproto.UpdateResponse, error) {
	var resp agentproto.UpdateResponse
	if _, err := c.do(ctx, http.MethodPost, "hosts/update", raw, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

func (c *client) updateInterval(ctx context.Context) (int, error) {
	var resp agentproto.UpdateIntervalResponse
	if _, err := c.do(ctx, http.MethodGet, "settings/update-interval", nil, &resp); err != nil {
		return 0, err
	}
	return resp.UpdateInterval, nil
}

func (c *client) integrations(ctx context.Context) (*agentproto.IntegrationsResponse, error) {
	var resp agentproto.IntegrationsResponse
	if _, err := c.do(ctx, http.MethodGet, "hosts/integrations", nil, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

func (c *client) integrationStatus(ctx context.Context, s *agentproto.IntegrationStatusRequest) error {
	_, err := c.do(ctx, http.MethodPost, "hosts/integration-status", s, nil)
	return err
}

func (c *client) patchOutput(ctx context.Context, runID, stage, message string) error {
	body := map[string]string{"stage": stage, "error_message": message}
	_, err := c.do(ctx, http.MethodPost, "patching/runs/"+url.PathEscape(runID)+"/output", body, nil)
	return err
}

func (c *client) agentVersion(ctx context.Context, arch, goos, current string) (*agentproto.AgentVersionResponse, error) {
	q := url.Values{"arch": {arch}, "os": {goos}, "type": {"go"}, "currentVersion": {current}}
	var resp agentproto.AgentVersionResponse
	if _, err := c.do(ctx, http.MethodGet, "hosts/agent/version?"+q.Encode(), nil, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// download streams an agent binary from rawURL (absolute, or relative to
// the API base) into w.
func (c *client) download(ctx context.Context, rawURL string, w io.Writer, limit int64) error {
	u, err := url.Parse(c.base)
	if err != nil {
		return err
	}
	target, err := u.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("download URL %q: %w", rawURL, err)
	}
	if target.Scheme != "http" && target.Scheme != "https" {
		return fmt.Errorf("download URL %q: unsupported scheme", rawURL)
	}
	if u.Scheme == "https" && target.Scheme != "https" {
		return fmt.Errorf("download URL %q: refusing a plain-HTTP download from an HTTPS server", rawURL)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return err
	}
	if target.Host == u.Host {
		c.authorize(req) // never hand the API key to another host
	} else {
		req.Header.Set("User-Agent", c.ua)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return &HTTPError{Method: http.MethodGet, Path: target.Path, StatusCode: resp.StatusCode, Message: errorMessage(b)}
	}
	n, err := io.Copy(w, io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	if n > limit {
		return fmt.Errorf("download: binary larger than %d bytes", limit)
	}
	return nil
}

// wsURL is the agent WebSocket endpoint.
func (c *client) wsURL() string {
	u := c.base + "agents/ws"
	switch {
	case strings.HasPrefix(u, "https://"):
		return "wss://" + strings.TrimPrefix(u, "https://")
	case strings.HasPrefix(u, "http://"):
		return "ws://" + strings.TrimPrefix(u, "http://")
	}
	return u
}
