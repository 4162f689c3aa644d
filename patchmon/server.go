// Package patchmon is the PatchMon server as a library: Config describes it, New builds it,
// Start/Shutdown/Run drive it and Handler exposes it for mounting in another program's HTTP
// server. Everything the server does lives in the pkg/ packages; this package only wires
// them together, so cmd/patchmon-server stays a few lines long.
//
// Several servers may run in one process (tests do): nothing here keeps package-level
// state. The API of this package is stable; Config gains fields as features arrive.
package patchmon

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/agenthub"
	"github.com/patchmon-go/patchmon/pkg/alerts"
	"github.com/patchmon-go/patchmon/pkg/auth"
	"github.com/patchmon-go/patchmon/pkg/dashboard"
	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/dbmigrate"
	"github.com/patchmon-go/patchmon/pkg/enrollment"
	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/integrationapi"
	"github.com/patchmon-go/patchmon/pkg/inventory"
	"github.com/patchmon-go/patchmon/pkg/jobs"
	"github.com/patchmon-go/patchmon/pkg/kv"
	"github.com/patchmon-go/patchmon/pkg/notify"
	"github.com/patchmon-go/patchmon/pkg/pgembed"
	"github.com/patchmon-go/patchmon/pkg/reports"
	"github.com/patchmon-go/patchmon/pkg/scopes"
	"github.com/patchmon-go/patchmon/pkg/secretbox"
	"github.com/patchmon-go/patchmon/pkg/settings"
	"github.com/patchmon-go/patchmon/pkg/users"
	"github.com/patchmon-go/patchmon/web"
)

// ErrNotStarted is returned by operations that need a started server.
var ErrNotStarted = errors.New("patchmon: server not started")

// buildVersion may be set at link time: -X github.com/patchmon-go/patchmon/patchmon.buildVersion=v2.1.0
var buildVersion = ""

// Server is one PatchMon server. Create it with New.
type Server struct {
	cfg Config
	// embeddedDB records that the database is the supervised embedded cluster (cfg's
	// DatabaseURL is filled in at Start, so it cannot tell).
	embeddedDB bool
	log        *slog.Logger
	spec       *openapi3.T
	router     *httpx.Router
	handler    http.Handler
	started    time.Time

	// limiter forwards to the store chosen at Start, so routes can be built in New.
	limiter lateLimiter
	// inventory serves the agent endpoints; it is bound to its service at Start.
	inventory *inventory.API
	// enrollment serves auto-enrollment tokens and enrollment; bound at Start.
	enrollment *enrollment.EnrollAPI
	// integrations serves the scoped Integration API and GetHomepage; bound at Start.
	integrations *integrationapi.API
	// dashboard and settings serve the dashboard data and the server settings; bound at
	// Start (dashboard.go).
	dashboard *dashboard.API
	settings  *settings.API
	dash      dashboardState
	// realtime serves the agent WebSocket, agent commands and the dashboard stream; it
	// is bound to the hub at Start.
	realtime *agenthub.Endpoints
	// authn holds the user and auth services once started.
	authn authState
	// notifyAPI and reportsAPI serve notification destinations, routes and scheduled
	// reports; bound at Start.
	notifyAPI  *notify.API
	reportsAPI *reports.API

	// secrets seals secrets at rest (key chain of AI_ENCRYPTION_KEY, SESSION_SECRET,
	// DATABASE_URL); set at Start.
	secrets *secretbox.Box

	mu       sync.Mutex
	running  bool
	pg       *pgembed.Cluster
	pool     *pgxpool.Pool
	db       *db.DB
	store    kv.Store
	httpSrv  *http.Server
	listener net.Listener
	serveErr chan error

	// inventorySvc and hub exist while the server runs.
	inventorySvc *inventory.Service
	// checkinPool holds the agent check-in connections (asynchronous commit).
	checkinPool *pgxpool.Pool
	hub         *agenthub.Hub

	// jobsAPI and alertsAPI serve the job and alert endpoints; bound at Start.
	jobsAPI    *jobs.API
	alertsAPI  *alerts.API
	jobSvc     *jobs.Service
	alertSvc   *alerts.Service
	stopAlerts func()
	queueUI    queueUI
	// notifySvc and reportsSvc exist while the server runs; their work runs as jobs.
	notifySvc  *notify.Service
	reportsSvc *reports.Service
}

// New validates cfg and builds the server without touching the network, the disk or the
// database; Start does that.
func New(cfg Config) (*Server, error) {
	if err := applyDefaults(&cfg, false); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Version == "" {
		cfg.Version = moduleVersion()
	}
	log := cfg.Logger
	if log == nil {
		var err error
		if log, err = newLogger(cfg, os.Stderr); err != nil {
			return nil, err
		}
	}
	spec, err := openapi.LoadSpec()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, spec: spec, embeddedDB: cfg.embedded(), inventory: inventory.NewAPI(), enrollment: enrollment.NewEnrollAPI(), integrations: integrationapi.NewAPI(), realtime: agenthub.NewEndpoints(),
		dashboard: dashboard.NewAPI(), settings: settings.NewAPI(), jobsAPI: jobs.NewAPI(), alertsAPI: alerts.NewAPI(),
		notifyAPI: notify.NewAPI(), reportsAPI: reports.NewAPI()}
	if err := s.buildHandler(); err != nil {
		return nil, err
	}
	return s, nil
}

func moduleVersion() string {
	if buildVersion != "" {
		return buildVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// newLogger builds the default logger from the logging settings.
func newLogger(cfg Config, w io.Writer) (*slog.Logger, error) {
	if !cfg.EnableLogging {
		return slog.New(slog.DiscardHandler), nil
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	loc, err := time.LoadLocation(cfg.TZ)
	if err != nil {
		return nil, fmt.Errorf("TZ: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			a.Value = slog.TimeValue(a.Value.Time().In(loc))
		}
		return a
	}}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// Config returns the configuration in effect (after defaults and, once started, the
// embedded database URL and generated secrets).
func (s *Server) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Logger returns the server's logger.
func (s *Server) Logger() *slog.Logger { return s.log }

// Handler returns the server's complete HTTP handler: dashboard, API and agent endpoints.
// Requests that need the database are answered 503 until Start has finished.
func (s *Server) Handler() http.Handler { return s.handler }

// Addr returns the address the server listens on (useful with Port 0), or "" when it is not
// listening.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// URL returns http://Addr, or "" when not listening.
func (s *Server) URL() string {
	addr := s.Addr()
	if addr == "" {
		return ""
	}
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Pool returns the database pool of a started server (nil before Start).
func (s *Server) Pool() *pgxpool.Pool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pool
}

// Start prepares the database (starting the embedded cluster when DatabaseURL is empty),
// applies migrations, connects the shared store and, unless DisableListener is set, starts
// serving HTTP. It returns once the server is ready. If it fails, everything it started is
// stopped again.
func (s *Server) Start(ctx context.Context) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return errors.New("patchmon: server already started")
	}
	defer func() {
		if err != nil {
			s.stopLocked(context.Background())
		}
	}()
	if err := s.openDatabase(ctx); err != nil {
		return err
	}
	mig, err := dbmigrate.New(s.pool, dbmigrate.Config{Logger: s.log})
	if err != nil {
		return err
	}
	if _, err := mig.Up(ctx); err != nil {
		return err
	}
	if err := s.openStore(ctx); err != nil {
		return err
	}
	if err := s.startInventory(); err != nil {
		return err
	}
	if err := s.startAuth(ctx); err != nil {
		return err
	}
	if err := s.startEnrollment(); err != nil {
		return err
	}
	if err := s.startIntegrations(); err != nil {
		return err
	}
	if err := s.startDashboard(); err != nil {
		return err
	}
	if err := s.startHub(ctx); err != nil {
		return err
	}
	if err := s.startNotifications(); err != nil {
		return err
	}
	if err := s.startJobs(ctx); err != nil {
		return err
	}
	if !s.cfg.DisableListener {
		if err := s.listen(); err != nil {
			return err
		}
	}
	s.started = time.Now()
	s.running = true
	return nil
}

// openDatabase starts the embedded cluster when needed and connects the pool.
func (s *Server) openDatabase(ctx context.Context) error {
	if s.cfg.embedded() {
		if err := s.startEmbedded(ctx); err != nil {
			return err
		}
	} else if s.cfg.JWTSecret == "" {
		return errors.New("JWT_SECRET: required when DATABASE_URL is set (generate one with: openssl rand -hex 64)")
	}
	return s.connect(ctx)
}

// startDatabaseOnly opens the database without migrating or serving (migrate status).
func (s *Server) startDatabaseOnly(ctx context.Context) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return errors.New("patchmon: server already started")
	}
	if err := s.openDatabase(ctx); err != nil {
		s.stopLocked(context.Background())
		return err
	}
	s.running = true
	return nil
}

// startEmbedded starts the supervised PostgreSQL cluster and fills in the database URL and
// any secrets the operator did not set.
func (s *Server) startEmbedded(ctx context.Context) error {
	dataDir, err := filepath.Abs(s.cfg.DataDir)
	if err != nil {
		return fmt.Errorf("PATCHMON_DATA_DIR: %w", err)
	}
	// 0711: the PostgreSQL user must be able to reach its cluster directory inside.
	if err := os.MkdirAll(dataDir, 0o711); err != nil {
		return fmt.Errorf("PATCHMON_DATA_DIR: %w", err)
	}
	if err := s.loadOrCreateSecrets(dataDir); err != nil {
		return err
	}
	cluster, err := pgembed.New(pgembed.Config{
		DataDir:  filepath.Join(dataDir, "postgres"),
		BinDir:   s.cfg.PGBinDir,
		Database: "patchmon",
		Logger:   s.log.With("component", "postgres"),
		Settings: map[string]string{"max_connections": strconv.Itoa(max(100, s.cfg.DBConnectionLimit+20))},
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "starting embedded PostgreSQL", "data_dir", filepath.Join(dataDir, "postgres"))
	if err := cluster.Start(ctx); err != nil {
		return err
	}
	s.pg = cluster
	s.cfg.DatabaseURL = cluster.ConnString("patchmon")
	return nil
}

// loadOrCreateSecrets keeps generated secrets in DataDir/secrets (0700, files 0600) so they
// survive restarts; values set by the operator always win.
func (s *Server) loadOrCreateSecrets(dataDir string) error {
	dir := filepath.Join(dataDir, "secrets")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, sec := range []struct {
		file string
		dst  *string
	}{{"jwt_secret", &s.cfg.JWTSecret}, {"encryption_key", &s.cfg.AIEncryptionKey}} {
		if *sec.dst != "" {
			continue
		}
		v, err := readOrCreateSecret(filepath.Join(dir, sec.file))
		if err != nil {
			return fmt.Errorf("secret %s: %w", sec.file, err)
		}
		*sec.dst = v
	}
	return nil
}

// connect opens the pool, retrying PM_DB_CONN_MAX_ATTEMPTS times.
func (s *Server) connect(ctx context.Context) error {
	pc, err := pgxpool.ParseConfig(s.cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	pc.MaxConns = int32(s.cfg.DBConnectionLimit)
	pc.MaxConnIdleTime = s.cfg.DBIdleTimeout
	pc.MaxConnLifetime = s.cfg.DBMaxLifetime
	pc.ConnConfig.ConnectTimeout = s.cfg.DBConnectTimeout
	if pc.ConnConfig.RuntimeParams == nil {
		pc.ConnConfig.RuntimeParams = map[string]string{}
	}
	pc.ConnConfig.RuntimeParams["application_name"] = "patchmon"
	pc.ConnConfig.RuntimeParams["timezone"] = "UTC"
	// The description cache serves only the cache_describe exec mode; in the default mode
	// it is an unused map per connection.
	if pc.ConnConfig.DefaultQueryExecMode == pgx.QueryExecModeCacheStatement && !strings.Contains(s.cfg.DatabaseURL, "description_cache_capacity") {
		pc.ConnConfig.DescriptionCacheCapacity = 0
	}
	var lastErr error
	for attempt := 1; attempt <= s.cfg.DBConnMaxAttempts; attempt++ {
		pool, err := pgxpool.NewWithConfig(ctx, pc)
		if err == nil {
			pctx, cancel := context.WithTimeout(ctx, s.cfg.DBConnectTimeout)
			err = pool.Ping(pctx)
			cancel()
			if err == nil {
				s.pool = pool
				s.db = db.New(pool, db.Options{PoolTimeout: s.cfg.DBPoolTimeout, TxMaxWait: s.cfg.DBTransactionMaxWait,
					TxTimeout: s.cfg.DBTransactionTimeout, LongTxTimeout: s.cfg.DBTransactionLongTimeout, Logger: s.log})
				return nil
			}
			pool.Close()
		}
		lastErr = err
		if attempt == s.cfg.DBConnMaxAttempts {
			break
		}
		s.log.WarnContext(ctx, "database not reachable yet, retrying", "attempt", attempt,
			"max_attempts", s.cfg.DBConnMaxAttempts, "err", err)
		select {
		case <-time.After(s.cfg.DBConnWaitInterval):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return fmt.Errorf("database unreachable after %d attempts (PM_DB_CONN_MAX_ATTEMPTS): %w", s.cfg.DBConnMaxAttempts, lastErr)
}

// openStore connects Redis when configured, else uses the in-process store.
func (s *Server) openStore(ctx context.Context) error {
	if !s.cfg.redisEnabled() {
		s.store = kv.NewMemory()
		s.limiter.set(s.store)
		return nil
	}
	opts, err := redisOptions(s.cfg)
	if err != nil {
		return err
	}
	client, err := kv.OpenRedis(ctx, opts)
	if err != nil {
		return fmt.Errorf("redis at %s: %w", opts.Addr, err)
	}
	s.store = kv.NewRedis(client, s.cfg.RedisKeyPrefix)
	s.limiter.set(s.store)
	return nil
}

// startInventory binds the agent endpoints to the database and store opened by Start.
func (s *Server) startInventory() error {
	secret := sha256.Sum256([]byte("patchmon inventory\x00" + s.cfg.JWTSecret))
	// Agent check-ins get a few connections of their own with asynchronous commit (see
	// inventory.Config.CheckinPool).
	pc := s.pool.Config().Copy()
	pc.MaxConns, pc.MinConns = 4, 0
	pc.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	checkins, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return fmt.Errorf("agent check-in pool: %w", err)
	}
	s.checkinPool = checkins
	svc, err := inventory.New(inventory.Config{
		DB:          s.db,
		CheckinPool: checkins,
		Cache:       s.store,
		Tokens:      s.store,
		Secret:      secret[:],
		PublicURL:   s.cfg.publicURL(),
		Logger:      s.log.With("component", "inventory"),
		// The user service starts after the inventory, so the audit log is found per call.
		Audit: func(ctx context.Context, e users.AuditEntry) {
			if us := s.authn.users.Load(); us != nil {
				us.Audit(ctx, e)
			}
		},
	})
	if err != nil {
		return err
	}
	s.inventory.Bind(svc)
	s.inventorySvc = svc
	return nil
}

// startEnrollment binds the auto-enrollment endpoints; it needs the inventory (host
// creation) and the user service (audit log).
func (s *Server) startEnrollment() error {
	secret := sha256.Sum256([]byte("patchmon enrollment\x00" + s.cfg.JWTSecret))
	var audit func(context.Context, users.AuditEntry)
	if us := s.authn.users.Load(); us != nil {
		audit = us.Audit
	}
	svc, err := enrollment.New(enrollment.Config{
		DB:        s.db,
		Inventory: s.inventorySvc,
		Cache:     s.store,
		Secret:    secret[:],
		Audit:     audit,
		Logger:    s.log.With("component", "enrollment"),
		// api tokens may only be granted the scopes the Integration API knows.
		ValidateScopes: func(sc enrollment.Scopes) error { return scopes.Validate(sc) },
	})
	if err != nil {
		return err
	}
	s.enrollment.Bind(svc)
	return nil
}

// startIntegrations binds the scoped Integration API and the GetHomepage endpoints.
func (s *Server) startIntegrations() error {
	var audit func(context.Context, users.AuditEntry)
	if us := s.authn.users.Load(); us != nil {
		audit = us.Audit
	}
	svc, err := integrationapi.New(integrationapi.Config{
		DB:     s.db,
		Audit:  audit,
		Logger: s.log.With("component", "integrationapi"),
	})
	if err != nil {
		return err
	}
	s.integrations.Bind(svc)
	return nil
}

func (s *Server) listen() error {
	addr := s.cfg.ListenAddr
	if addr == "" {
		addr = net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s (PORT): %w", addr, err)
	}
	s.listener = ln
	s.httpSrv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.serveErr = make(chan error, 1)
	go func(srv *http.Server) {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.serveErr <- err
	}(s.httpSrv)
	s.log.Info("PatchMon server listening", "addr", ln.Addr().String(), "version", s.cfg.Version,
		"database", map[bool]string{true: "embedded", false: "external"}[s.pg != nil],
		"redis", s.cfg.redisEnabled())
	return nil
}

// Shutdown stops accepting requests, lets running ones finish within ctx, then closes the
// store and the database pool and stops the embedded PostgreSQL.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return nil
	}
	s.running = false
	return s.stopLocked(ctx)
}

func (s *Server) stopLocked(ctx context.Context) error {
	var errs []error
	if s.httpSrv != nil {
		if err := s.httpSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
			s.httpSrv.Close()
		}
		if err := <-s.serveErr; err != nil {
			errs = append(errs, err)
		}
		s.httpSrv, s.listener = nil, nil
	}
	if err := s.stopJobs(ctx); err != nil {
		errs = append(errs, fmt.Errorf("stop jobs: %w", err))
	}
	s.stopNotifications()
	if err := s.stopHub(ctx); err != nil {
		errs = append(errs, err)
	}
	s.stopDashboard()
	s.enrollment.Bind(nil)
	s.integrations.Bind(nil)
	s.inventory.Bind(nil)
	s.inventorySvc = nil
	if s.checkinPool != nil {
		s.checkinPool.Close()
		s.checkinPool = nil
	}
	s.stopAuth()
	if s.store != nil {
		s.limiter.set(nil)
		s.store.Close()
		s.store = nil
	}
	if s.pool != nil {
		s.pool.Close()
		s.pool, s.db = nil, nil
	}
	if s.pg != nil {
		if err := s.pg.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop embedded PostgreSQL: %w", err))
		}
		s.pg = nil
		s.cfg.DatabaseURL = ""
	}
	return errors.Join(errs...)
}

// Run starts the server, serves until ctx is cancelled (or serving fails) and shuts down
// gracefully within ShutdownTimeout.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(ctx); err != nil {
		return err
	}
	var serveErr error
	s.mu.Lock()
	errc := s.serveErr
	s.mu.Unlock()
	if errc == nil {
		<-ctx.Done()
	} else {
		select {
		case <-ctx.Done():
		case serveErr = <-errc:
			// Put it back for stopLocked, which waits on it.
			errc <- serveErr
		}
	}
	s.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	return errors.Join(serveErr, s.Shutdown(sctx))
}

// buildHandler assembles the route table and middleware chain.
func (s *Server) buildHandler() error {
	tp, err := httpx.ParseTrustProxy(s.cfg.TrustProxy)
	if err != nil {
		return fmt.Errorf("TRUST_PROXY: %w", err)
	}
	router, err := httpx.NewRouter(httpx.RouterConfig{
		Spec:    s.spec,
		Logger:  s.log,
		Limiter: &s.limiter,
		Limits: map[httpx.Category]httpx.Limit{
			httpx.CategoryGeneral: {Max: s.cfg.RateLimitMax, Window: s.cfg.RateLimitWindow},
			httpx.CategoryAuth:    {Max: s.cfg.AuthRateLimitMax, Window: s.cfg.AuthRateLimitWindow},
			httpx.CategoryAgent:   {Max: s.cfg.AgentRateLimitMax, Window: s.cfg.AgentRateLimitWindow},
		},
		BodyLimit:       int64(s.cfg.JSONBodyLimit),
		AgentBodyLimit:  int64(s.cfg.AgentUpdateBodyLimit),
		TrustProxy:      tp,
		NotFound:        web.Handler(),
		RouteMiddleware: []func(httpx.RouteInfo, http.Handler) (http.Handler, error){s.authorizer},
	})
	if err != nil {
		return err
	}
	handlers := &api{systemAPI: &systemAPI{s: s}, API: s.inventory,
		Handlers: auth.NewHandlers(s.authService), AdminAPI: users.NewAdminAPI(s.usersService), Endpoints: s.realtime,
		EnrollAPI: s.enrollment, integrationHandlers: s.integrations, dashboardHandlers: s.dashboard, settingsHandlers: s.settings,
		jobsHandlers: s.jobsAPI, alertsHandlers: s.alertsAPI, notifyHandlers: s.notifyAPI, reportHandlers: s.reportsAPI}
	strict := openapi.NewStrictHandlerWithOptions(handlers, []openapi.StrictMiddlewareFunc{auth.StrictMiddleware, s.publishReports}, openapi.StrictHTTPServerOptions{
		RequestErrorHandlerFunc:  s.requestError,
		ResponseErrorHandlerFunc: s.responseError,
	})
	// The WebSocket upgrades need the connection, which the strict layer does not give.
	openapi.HandlerWithOptions(agenthub.WithWebSockets(strict, s.realtime),
		openapi.StdHTTPServerOptions{BaseRouter: router, ErrorHandlerFunc: s.requestError})
	if err := router.Err(); err != nil {
		return err
	}
	s.router = router

	var h http.Handler = router
	h = s.queueDashboard(h)
	h = httpx.CORS(s.cfg.corsOrigins(), h)
	h = httpx.SecurityHeaders(s.cfg.EnableHSTS, h)
	h = httpx.Compress(h)
	h = httpx.Instrument(httpx.InstrumentConfig{Logger: s.log, TrustProxy: tp, LogRequests: true}, h)
	s.handler = h
	return nil
}

// Routes lists every mounted API operation.
func (s *Server) Routes() []httpx.RouteInfo { return s.router.Routes() }

func (s *Server) requestError(w http.ResponseWriter, r *http.Request, err error) {
	if httpx.IsBodyTooLarge(err) {
		httpx.WriteError(w, http.StatusRequestEntityTooLarge, httpx.CodeBodyTooLarge, "Request body too large")
		return
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "can't decode JSON body") {
		msg = "Invalid JSON body"
	}
	httpx.WriteError(w, http.StatusBadRequest, httpx.CodeValidation, msg)
}

// statusClientClosedRequest is what the request log records for a request whose client
// disconnected before the answer (nginx's convention).
const statusClientClosedRequest = 499

func (s *Server) responseError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *httpx.APIError
	if errors.As(err, &ae) {
		httpx.WriteJSON(w, ae.Status, httpx.Error{Message: ae.Message, Code: ae.Code, Field: ae.Field})
		return
	}
	if errors.Is(err, ErrNotStarted) {
		httpx.WriteError(w, http.StatusServiceUnavailable, httpx.CodeUnavailable, "Server is starting, try again shortly")
		return
	}
	if r.Context().Err() != nil {
		// The client went away (an agent timed out, a load generator stopped): nothing
		// failed on this side, and nobody reads the answer.
		s.log.DebugContext(r.Context(), "client closed the request", "method", r.Method, "path", r.URL.Path, "err", err)
		w.WriteHeader(statusClientClosedRequest)
		return
	}
	s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	httpx.WriteError(w, http.StatusInternalServerError, httpx.CodeInternal, "Internal server error")
}

// dbHandle returns the database of a started server.
func (s *Server) dbHandle() (*db.DB, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return nil, ErrNotStarted
	}
	return s.db, nil
}

// kvStore returns the shared store of a started server.
func (s *Server) kvStore() (kv.Store, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store == nil {
		return nil, ErrNotStarted
	}
	return s.store, nil
}
