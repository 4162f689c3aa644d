// Package agenttest is a fake PatchMon server speaking the agent protocol, for
// testing agentkit and programs built on it without a database or the real
// server. NewServer starts it on a random port; it authenticates agents,
// answers hash-gated pings (hashGate, requestFull computed from what it has
// stored), ingests full and partial reports (gzip-compressed or not), serves
// settings, integration switches, agent versions and a downloadable binary,
// and keeps a WebSocket per agent through which a test pushes commands. It
// records everything it receives and can play dead (SetDown) or cut the
// WebSockets (DropWebSockets) to test recovery.
//
// Stability: a public test kit; it follows the module's semantic versioning.
// It implements the protocol only as far as agents observe it.
package agenttest

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/patchmon-go/patchmon/pkg/agentproto"
	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

// Received is one request the server accepted.
type Received struct {
	Time   time.Time
	Header http.Header
	// Gzipped is true when the body arrived with Content-Encoding: gzip.
	Gzipped bool
	// Report is set for hosts/update, Ping for check-ins (nil for an
	// empty-body heartbeat).
	Report *agentproto.Report
	Ping   *agentproto.PingRequest
	// HashesMatch is false when a report's hashes differ from the hashes
	// the server computes from its content.
	HashesMatch bool
}

// Server is the fake server. Its fields may be changed between requests
// only through the setter methods.
type Server struct {
	// URL is the server's base URL (the agent's ServerURL).
	URL string
	// APIID and APIKey are the credentials the server accepts.
	APIID  string
	APIKey string

	t   testing.TB
	srv *httptest.Server
	up  *gws.Upgrader

	mu           sync.Mutex
	down         bool
	silent       bool
	acceptGzip   bool
	interval     int
	integrations agentproto.IntegrationsResponse
	version      agentproto.AgentVersionResponse
	binary       []byte
	autoUpdate   *agentproto.AutoUpdate
	stored       agentproto.PingHashes
	pings        []Received
	reports      []Received
	statuses     []agentproto.IntegrationStatusRequest
	patchOutput  []map[string]any
	agentFrames  [][]byte
	conns        map[*gws.Conn]bool
	wsConnects   int
	rejected     int
	changed      chan struct{}
}

// NewServer starts a fake server and stops it when the test ends. It accepts
// gzip request bodies and advertises that, reports an update interval of 60
// minutes and all integrations off.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		t:          t,
		APIID:      "patchmon_" + randomHex(8),
		APIKey:     randomHex(32),
		acceptGzip: true,
		interval:   60,
		integrations: agentproto.IntegrationsResponse{
			Success: true, ComplianceMode: agentproto.ComplianceModeDisabled,
		},
		conns:   map[*gws.Conn]bool{},
		changed: make(chan struct{}),
	}
	s.up = gws.NewUpgrader(&wsEvents{s: s}, &gws.ServerOption{ReadMaxPayloadSize: 64 << 10})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/hosts/ping", s.auth(s.handlePing))
	mux.HandleFunc("POST /api/v1/hosts/update", s.auth(s.handleUpdate))
	mux.HandleFunc("GET /api/v1/settings/update-interval", s.auth(s.handleInterval))
	mux.HandleFunc("GET /api/v1/hosts/integrations", s.auth(s.handleIntegrations))
	mux.HandleFunc("POST /api/v1/hosts/integration-status", s.auth(s.handleIntegrationStatus))
	mux.HandleFunc("POST /api/v1/patching/runs/{id}/output", s.auth(s.handlePatchOutput))
	mux.HandleFunc("GET /api/v1/hosts/agent/version", s.auth(s.handleVersion))
	mux.HandleFunc("GET /api/v1/hosts/agent/download", s.auth(s.handleDownload))
	mux.HandleFunc("GET /api/v1/agents/ws", s.auth(s.handleWS))
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Close stops the server and closes every WebSocket.
func (s *Server) Close() {
	s.DropWebSockets()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// notify wakes the Wait helpers; call with s.mu held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// SetDown makes every endpoint answer 503 (true) or serve again (false).
// WebSocket upgrades are refused while down.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// SetSilent makes open WebSockets stop answering pings, like a half-open
// TCP connection whose peer vanished.
func (s *Server) SetSilent(silent bool) {
	s.mu.Lock()
	s.silent = silent
	s.mu.Unlock()
}

// SetAcceptGzip sets whether pings advertise gzip request bodies.
func (s *Server) SetAcceptGzip(ok bool) {
	s.mu.Lock()
	s.acceptGzip = ok
	s.mu.Unlock()
}

// SetUpdateInterval sets the interval settings/update-interval reports.
func (s *Server) SetUpdateInterval(minutes int) {
	s.mu.Lock()
	s.interval = minutes
	s.mu.Unlock()
}

// SetIntegrations sets the hosts/integrations answer.
func (s *Server) SetIntegrations(r agentproto.IntegrationsResponse) {
	s.mu.Lock()
	s.integrations = r
	s.mu.Unlock()
}

// SetAutoUpdate makes report answers carry an autoUpdate object.
func (s *Server) SetAutoUpdate(au *agentproto.AutoUpdate) {
	s.mu.Lock()
	s.autoUpdate = au
	s.mu.Unlock()
}

// SetRelease makes the server offer binary as version latest: the version
// endpoint announces it (hasUpdate as given) with the binary's SHA-256, and
// the download endpoint serves it. hash overrides the announced hash when
// non-empty ("-" announces none).
func (s *Server) SetRelease(latest string, binary []byte, hasUpdate bool, hash string) {
	sum := sha256.Sum256(binary)
	if hash == "" {
		hash = hex.EncodeToString(sum[:])
	} else if hash == "-" {
		hash = ""
	}
	s.mu.Lock()
	s.binary = slices.Clone(binary)
	s.version = agentproto.AgentVersionResponse{
		LatestVersion: latest, HasUpdate: hasUpdate, AgentType: "go", Hash: hash,
		DownloadURL: "", ReleaseNotes: "test release",
	}
	s.mu.Unlock()
}

// Hashes returns the section hashes the server has stored.
func (s *Server) Hashes() agentproto.PingHashes {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stored
}

// Reports returns the reports received so far.
func (s *Server) Reports() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reports)
}

// Pings returns the pings received so far.
func (s *Server) Pings() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pings)
}

// IntegrationStatuses returns the hosts/integration-status bodies received.
func (s *Server) IntegrationStatuses() []agentproto.IntegrationStatusRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.statuses)
}

// PatchOutputs returns the patching/runs/{id}/output bodies received, each
// with an added "run_id".
func (s *Server) PatchOutputs() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.patchOutput)
}

// AgentFrames returns the WebSocket frames agents sent.
func (s *Server) AgentFrames() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.agentFrames)
}

// WebSocketConnects returns how many WebSocket connections were accepted.
func (s *Server) WebSocketConnects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wsConnects
}

// Rejected returns how many requests failed authentication (401).
func (s *Server) Rejected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected
}

// Connected returns the number of open WebSocket connections.
func (s *Server) Connected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Wait blocks until cond is true or timeout passes, failing the test then.
// It re-evaluates cond on every request the server receives and every 20
// ms (for conditions on the agent's side), never sleeping blindly.
func (s *Server) Wait(timeout time.Duration, what string, cond func(*Server) bool) {
	s.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond(s) {
			return
		}
		select {
		case <-ch:
		case <-poll.C:
		case <-deadline.C:
			s.t.Fatalf("agenttest: timed out after %s waiting for %s", timeout, what)
		}
	}
}

// WaitReports waits until at least n reports have arrived and returns them.
func (s *Server) WaitReports(n int, timeout time.Duration) []Received {
	s.t.Helper()
	s.Wait(timeout, fmt.Sprintf("%d reports", n), func(s *Server) bool { return len(s.Reports()) >= n })
	return s.Reports()
}

// WaitConnected waits until an agent's WebSocket is open.
func (s *Server) WaitConnected(timeout time.Duration) {
	s.t.Helper()
	s.Wait(timeout, "a WebSocket connection", func(s *Server) bool { return s.Connected() > 0 })
}

// Send pushes a command frame (marshalled to JSON) to every connected agent
// and returns how many received it.
func (s *Server) Send(frame any) (int, error) {
	b, err := json.Marshal(frame)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	conns := make([]*gws.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	n := 0
	for _, c := range conns {
		if err := c.WriteMessage(gws.OpcodeText, b); err == nil {
			n++
		}
	}
	return n, nil
}

// SendMessage pushes a protocol message (encoded by pkg/wsproto, as the
// real server does) to every connected agent.
func (s *Server) SendMessage(m wsproto.Message) (int, error) {
	b, err := wsproto.Encode(m)
	if err != nil {
		return 0, err
	}
	return s.Send(json.RawMessage(b))
}

// SendCommand pushes {"type": typ, ...fields} to every connected agent.
func (s *Server) SendCommand(typ string, fields map[string]any) (int, error) {
	m := map[string]any{"type": typ}
	for k, v := range fields {
		m[k] = v
	}
	return s.Send(m)
}

// DropWebSockets closes every WebSocket abruptly, as a crashing server or a
// proxy would.
func (s *Server) DropWebSockets() {
	s.mu.Lock()
	conns := make([]*gws.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.NetConn().Close()
	}
}

func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		down := s.down
		s.mu.Unlock()
		if down {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "server unavailable"})
			return
		}
		if r.Header.Get(agentproto.HeaderAPIID) != s.APIID || r.Header.Get(agentproto.HeaderAPIKey) != s.APIKey {
			s.mu.Lock()
			s.rejected++
			s.notify()
			s.mu.Unlock()
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Invalid API credentials"})
			return
		}
		h(w, r)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// body reads a request body, decompressing gzip.
func body(r *http.Request) ([]byte, bool, error) {
	rd := io.Reader(r.Body)
	gz := strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip")
	if gz {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, true, err
		}
		defer zr.Close()
		rd = zr
	}
	b, err := io.ReadAll(io.LimitReader(rd, 8<<20))
	return b, gz, err
}

func (s *Server) handlePing(w http.ResponseWriter, r *http.Request) {
	b, gz, err := body(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unreadable body"})
		return
	}
	rec := Received{Time: time.Now(), Header: r.Header.Clone(), Gzipped: gz, HashesMatch: true}
	resp := agentproto.PingResponse{Message: agentproto.PingMessage, Timestamp: time.Now().UTC().Format(time.RFC3339),
		FriendlyName: "agenttest", HashGate: true}
	s.mu.Lock()
	defer s.mu.Unlock()
	resp.Integrations = s.integrations.Integrations
	if len(bytes.TrimSpace(b)) > 0 {
		var req agentproto.PingRequest
		if err := json.Unmarshal(b, &req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid ping body"})
			return
		}
		rec.Ping = &req
		resp.RequestFull = slices.DeleteFunc(agentproto.StaleSections(s.stored, req.Hashes), func(sec string) bool {
			return (sec == agentproto.SectionDocker && !s.integrations.Integrations.Docker) ||
				(sec == agentproto.SectionCompliance && !s.integrations.Integrations.Compliance)
		})
	}
	s.pings = append(s.pings, rec)
	s.notify()
	if s.acceptGzip {
		w.Header().Set("X-PatchMon-Accept-Encoding", "gzip")
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request) {
	b, gz, err := body(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unreadable body"})
		return
	}
	var rep agentproto.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid report: " + err.Error()})
		return
	}
	if err := rep.Validate(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	// Hash the content as received, as a server does before sanitising.
	computed := agentproto.ReportHashes{
		PackagesHash:   agentproto.PackagesHash(rep.Packages),
		ReposHash:      agentproto.ReposHash(rep.Repositories),
		InterfacesHash: agentproto.InterfacesHash(rep.NetworkInterfaces),
		HostnameHash:   agentproto.HostnameHash(rep.Hostname),
	}
	match := true
	if h := rep.Hashes; h != nil {
		check := func(section, claimed, got string) {
			if rep.Has(section) && claimed != "" && claimed != got {
				match = false
			}
		}
		check(agentproto.SectionPackages, h.PackagesHash, computed.PackagesHash)
		check(agentproto.SectionRepos, h.ReposHash, computed.ReposHash)
		check(agentproto.SectionInterfaces, h.InterfacesHash, computed.InterfacesHash)
		check(agentproto.SectionHostname, h.HostnameHash, computed.HostnameHash)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rep.Has(agentproto.SectionPackages) {
		s.stored.PackagesHash = computed.PackagesHash
	}
	if rep.Has(agentproto.SectionRepos) {
		s.stored.ReposHash = computed.ReposHash
	}
	if rep.Has(agentproto.SectionInterfaces) {
		s.stored.InterfacesHash = computed.InterfacesHash
	}
	if rep.Has(agentproto.SectionHostname) {
		s.stored.HostnameHash = computed.HostnameHash
	}
	s.reports = append(s.reports, Received{Time: time.Now(), Header: r.Header.Clone(), Gzipped: gz, Report: &rep, HashesMatch: match})
	s.notify()
	resp := agentproto.UpdateResponse{Message: agentproto.UpdateMessage, PackagesProcessed: len(rep.Packages), AutoUpdate: s.autoUpdate}
	for _, p := range rep.Packages {
		if p.NeedsUpdate {
			resp.UpdatesAvailable++
		}
		if p.IsSecurityUpdate {
			resp.SecurityUpdates++
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleInterval(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	iv := s.interval
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, agentproto.UpdateIntervalResponse{UpdateInterval: iv})
}

func (s *Server) handleIntegrations(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	resp := s.integrations
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleIntegrationStatus(w http.ResponseWriter, r *http.Request) {
	b, _, err := body(r)
	var st agentproto.IntegrationStatusRequest
	if err != nil || json.Unmarshal(b, &st) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid body"})
		return
	}
	s.mu.Lock()
	s.statuses = append(s.statuses, st)
	s.notify()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"message": "ok"})
}

func (s *Server) handlePatchOutput(w http.ResponseWriter, r *http.Request) {
	b, _, err := body(r)
	m := map[string]any{}
	if err != nil || json.Unmarshal(b, &m) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid body"})
		return
	}
	m["run_id"] = r.PathValue("id")
	s.mu.Lock()
	s.patchOutput = append(s.patchOutput, m)
	s.notify()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"message": "ok"})
}

func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	v := s.version
	s.mu.Unlock()
	v.CurrentVersion = r.URL.Query().Get("currentVersion")
	v.Architecture = r.URL.Query().Get("arch")
	if v.LatestVersion == "" {
		v.LatestVersion = v.CurrentVersion
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) handleDownload(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	b := s.binary
	s.mu.Unlock()
	if b == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no agent binary available"})
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(b)
}

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	conn, err := s.up.Upgrade(w, r)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.conns[conn] = true
	s.wsConnects++
	s.notify()
	s.mu.Unlock()
	go conn.ReadLoop()
}

// wsEvents handles the server side of agent WebSockets.
type wsEvents struct{ s *Server }

func (e *wsEvents) OnOpen(*gws.Conn) {}

func (e *wsEvents) OnClose(c *gws.Conn, _ error) {
	e.s.mu.Lock()
	delete(e.s.conns, c)
	e.s.notify()
	e.s.mu.Unlock()
}

func (e *wsEvents) OnPing(c *gws.Conn, payload []byte) {
	e.s.mu.Lock()
	silent := e.s.silent
	e.s.mu.Unlock()
	if !silent {
		_ = c.WritePong(payload)
	}
}

func (e *wsEvents) OnPong(*gws.Conn, []byte) {}

func (e *wsEvents) OnMessage(_ *gws.Conn, m *gws.Message) {
	data := slices.Clone(m.Bytes())
	_ = m.Close()
	e.s.mu.Lock()
	e.s.agentFrames = append(e.s.agentFrames, data)
	e.s.notify()
	e.s.mu.Unlock()
}
