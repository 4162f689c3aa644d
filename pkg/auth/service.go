package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"

	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/kv"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// Config configures a Service. Durations and counts have the defaults of the
// corresponding environment variables.
type Config struct {
	// DB is the database. Required.
	DB *db.DB
	// Users is the user service. Required.
	Users *users.Service
	// Limiter backs PASSWORD_RATE_LIMIT_*. Required.
	Limiter kv.Limiter
	// Tokens holds 2FA sign-in challenges. Required.
	Tokens kv.Tokens
	// Logger receives the service's logs. Default: discard.
	Logger *slog.Logger
	// JWTSecret signs access tokens (JWT_SECRET, at least 32 characters). Required.
	JWTSecret string
	// EncryptionKey (32 bytes) encrypts TOTP secrets at rest. Required.
	EncryptionKey []byte

	// AccessTTL is JWT_EXPIRES_IN. Default: 1h.
	AccessTTL time.Duration
	// RefreshTTL is JWT_REFRESH_EXPIRES_IN. Default: 7d.
	RefreshTTL time.Duration
	// InactivityTimeout is SESSION_INACTIVITY_TIMEOUT_MINUTES. Default: 30min.
	InactivityTimeout time.Duration
	// MaxLoginAttempts is MAX_LOGIN_ATTEMPTS. Default: 5.
	MaxLoginAttempts int
	// LockoutDuration is LOCKOUT_DURATION_MINUTES. Default: 15min.
	LockoutDuration time.Duration
	// FailureWindow is the rolling window in which failed logins are counted. Default: 15min.
	FailureWindow time.Duration
	// MaxTFAAttempts is MAX_TFA_ATTEMPTS. Default: 5.
	MaxTFAAttempts int
	// TFALockoutDuration is TFA_LOCKOUT_DURATION_MINUTES. Default: 30min.
	TFALockoutDuration time.Duration
	// TFARememberTTL is TFA_REMEMBER_ME_EXPIRES_IN. Default: 30d.
	TFARememberTTL time.Duration
	// TFAMaxRemember is TFA_MAX_REMEMBER_SESSIONS. Default: 5.
	TFAMaxRemember int
	// TFASuspiciousThreshold is TFA_SUSPICIOUS_ACTIVITY_THRESHOLD. Default: 3.
	TFASuspiciousThreshold int
	// PasswordRateMax and PasswordRateWindow are PASSWORD_RATE_LIMIT_*. Default: 5 per 15min.
	PasswordRateMax    int
	PasswordRateWindow time.Duration
	// TOTPIssuer names the server in authenticator apps. Default: "PatchMon".
	TOTPIssuer string
	// TrustedOrigins are the origins (scheme://host[:port]) besides the request's own that
	// cookie-authenticated writes may come from: the CORS allow-list. Default: none.
	TrustedOrigins []string
	// OIDC configures single sign-on. Default: disabled.
	OIDC OIDCConfig
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// Service signs users in and keeps their sessions: passwords with lockout, JWT access
// tokens, rotating refresh tokens, inactivity expiry, TOTP 2FA with backup codes and
// trusted devices, and OIDC single sign-on.
type Service struct {
	cfg    Config
	users  *users.Service
	store  *store
	log    *slog.Logger
	jwtKey []byte
	macKey []byte
	sealer *sealer
	// activityStep is how stale a session's last activity may get before it is written.
	activityStep time.Duration

	oidcMu      sync.Mutex
	oidc        atomic.Pointer[oidcClient]
	oidcTried   time.Time
	oidcStopped atomic.Bool
}

// New validates cfg and returns a Service. It does no I/O; call InitOIDC at start.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.DB == nil:
		return nil, errors.New("auth: Config.DB is required")
	case cfg.Users == nil:
		return nil, errors.New("auth: Config.Users is required")
	case cfg.Limiter == nil || cfg.Tokens == nil:
		return nil, errors.New("auth: Config.Limiter and Config.Tokens are required")
	case len(cfg.JWTSecret) < 32:
		return nil, errors.New("JWT_SECRET: must be at least 32 characters")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	defInt := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	def(&cfg.AccessTTL, time.Hour)
	def(&cfg.RefreshTTL, 7*24*time.Hour)
	def(&cfg.InactivityTimeout, 30*time.Minute)
	def(&cfg.LockoutDuration, 15*time.Minute)
	def(&cfg.FailureWindow, 15*time.Minute)
	def(&cfg.TFALockoutDuration, 30*time.Minute)
	def(&cfg.TFARememberTTL, 30*24*time.Hour)
	def(&cfg.PasswordRateWindow, 15*time.Minute)
	defInt(&cfg.MaxLoginAttempts, 5)
	defInt(&cfg.MaxTFAAttempts, 5)
	defInt(&cfg.TFAMaxRemember, 5)
	defInt(&cfg.TFASuspiciousThreshold, 3)
	defInt(&cfg.PasswordRateMax, 5)
	if cfg.TOTPIssuer == "" {
		cfg.TOTPIssuer = "PatchMon"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := cfg.OIDC.validate(); err != nil {
		return nil, err
	}
	sl, err := newSealer(cfg.EncryptionKey)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, users: cfg.Users, store: &store{db: cfg.DB}, log: cfg.Logger,
		jwtKey: []byte(cfg.JWTSecret), sealer: sl,
		activityStep: min(time.Minute, cfg.InactivityTimeout/10)}
	// Derived from the encryption key, not JWT_SECRET: rotating the JWT secret (to sign
	// everyone out) must not invalidate backup codes.
	m := hmac.New(sha256.New, cfg.EncryptionKey)
	m.Write([]byte("patchmon auth mac key"))
	s.macKey = m.Sum(nil)
	return s, nil
}

func (s *Service) now() time.Time { return s.cfg.Now() }

// Users returns the user service.
func (s *Service) Users() *users.Service { return s.users }

// Tokens is a signed-in session: what the client stores and what it proves.
type Tokens struct {
	User           users.User
	Permissions    []string
	SessionID      uuid.UUID
	AccessToken    string
	AccessExpires  time.Time
	RefreshToken   string
	RefreshExpires time.Time
	// DeviceToken is set when this sign-in made the device trusted ("remember me").
	DeviceToken   string
	DeviceExpires time.Time
}

// LoginResult is the outcome of a correct password: tokens, or a 2FA challenge.
type LoginResult struct {
	Tokens       *Tokens
	TFAChallenge string
}

// startSession creates a session for the user and issues its tokens.
func (s *Service) startSession(ctx context.Context, userID uuid.UUID, method string) (*Tokens, error) {
	now := s.now()
	u, err := s.users.GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	perms, err := s.users.Permissions(ctx, u.Role)
	if err != nil {
		return nil, err
	}
	c := users.ClientFrom(ctx)
	refresh := randomToken(32)
	exp := now.Add(s.cfg.RefreshTTL)
	sid, err := s.store.insertSession(ctx, userID, hashToken(refresh), method, c.IP, truncate(c.UserAgent, 500), now, exp)
	if err != nil {
		return nil, err
	}
	if err := s.store.loginSucceeded(ctx, userID, now); err != nil {
		return nil, err
	}
	access, aexp, err := s.issueAccess(userID, sid, now)
	if err != nil {
		return nil, err
	}
	return &Tokens{User: u, Permissions: perms, SessionID: sid, AccessToken: access, AccessExpires: aexp,
		RefreshToken: refresh, RefreshExpires: exp}, nil
}

func (s *Service) issueAccess(userID, sid uuid.UUID, now time.Time) (string, time.Time, error) {
	exp := now.Add(s.cfg.AccessTTL)
	tok, err := s.signAccess(userID, sid, now, exp)
	return tok, exp, err
}

// Authenticate resolves an access token to the signed-in user, enforcing the session's
// revocation, expiry and inactivity timeout, and records the activity (at most once per
// minute, or per tenth of the timeout when that is shorter).
func (s *Service) Authenticate(ctx context.Context, token string) (*users.Principal, error) {
	uid, sid, err := s.parseAccess(token, false)
	if errors.Is(err, errTokenExpired) {
		return nil, ErrTokenExpired
	}
	if err != nil {
		return nil, ErrInvalidToken
	}
	sess, err := s.store.sessionByID(ctx, sid)
	if errors.Is(err, errNoRows) {
		return nil, ErrSessionRevoked
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := s.checkSession(ctx, sess, now); err != nil {
		return nil, err
	}
	if sess.UserID != uid {
		return nil, ErrInvalidToken
	}
	if now.Sub(sess.LastActivityAt) >= s.activityStep {
		if err := s.store.touchSession(ctx, sid, now); err != nil {
			return nil, err
		}
	}
	return s.principal(sess), nil
}

// checkSession applies revocation, expiry, inactivity and the user's active flag. An
// inactive session is revoked so it cannot come back.
func (s *Service) checkSession(ctx context.Context, sess session, now time.Time) error {
	switch {
	case sess.RevokedAt != nil, !now.Before(sess.ExpiresAt):
		return ErrSessionRevoked
	case now.Sub(sess.LastActivityAt) >= s.cfg.InactivityTimeout:
		if err := s.store.revokeAnySession(ctx, sess.ID, now); err != nil {
			return err
		}
		return ErrSessionInactive
	case !sess.UserActive:
		return ErrAccountDisabled401
	}
	return nil
}

func (s *Service) principal(sess session) *users.Principal {
	perms := sess.Permissions
	if sess.Role == users.RoleSuperAdmin {
		perms = users.PermissionNames()
		slices.Sort(perms)
	}
	return &users.Principal{UserID: sess.UserID, Username: sess.Username, Email: sess.Email, Role: sess.Role,
		SessionID: sess.ID, Permissions: perms}
}

// LocalAuthDisabled reports whether password sign-in is off: OIDC_DISABLE_LOCAL_AUTH is
// honoured only once OIDC has initialised, so a broken SSO setup cannot lock everyone out.
func (s *Service) LocalAuthDisabled() bool {
	return s.cfg.OIDC.Enabled && s.cfg.OIDC.DisableLocalAuth && s.oidc.Load() != nil
}

// Login checks a username (or email) and password. Unknown users and wrong passwords take
// the same time and give the same error; MaxLoginAttempts failures within FailureWindow
// lock the account for LockoutDuration. deviceToken is the "remember this device" token
// the client holds, if any.
func (s *Service) Login(ctx context.Context, login, password, deviceToken string) (LoginResult, error) {
	if s.LocalAuthDisabled() {
		return LoginResult{}, ErrLocalAuthDisabled
	}
	login = strings.TrimSpace(login)
	now := s.now()
	cred, err := s.store.credByLogin(ctx, login)
	if errors.Is(err, errNoRows) {
		s.users.Hasher().Compare("", password)
		s.audit(ctx, users.AuditEntry{Event: users.EventLoginFailure, ActorUsername: login, Details: map[string]any{"reason": "unknown_user"}})
		return LoginResult{}, ErrInvalidCredentials
	}
	if err != nil {
		return LoginResult{}, err
	}
	target := users.AuditEntry{ActorID: cred.ID, ActorUsername: cred.Username, TargetType: "user", TargetID: cred.ID.String(), TargetName: cred.Username}
	ok := s.users.Hasher().Compare(cred.PasswordHash, password)
	if cred.LockedUntil != nil && cred.LockedUntil.After(now) {
		e := target
		e.Event, e.Details = users.EventLoginFailure, map[string]any{"reason": "locked"}
		s.audit(ctx, e)
		return LoginResult{}, lockedError(*cred.LockedUntil, now)
	}
	if !ok {
		attempts, until, err := s.store.recordLoginFailure(ctx, cred.ID, now, s.cfg.FailureWindow, s.cfg.MaxLoginAttempts, s.cfg.LockoutDuration)
		if err != nil {
			return LoginResult{}, err
		}
		e := target
		e.Event, e.Details = users.EventLoginFailure, map[string]any{"reason": "bad_password", "attempts": attempts}
		s.audit(ctx, e)
		if until != nil {
			e.Event, e.Details = users.EventLoginLocked, map[string]any{"attempts": attempts, "lockedUntil": until.UTC()}
			s.audit(ctx, e)
			return LoginResult{}, lockedError(*until, now)
		}
		return LoginResult{}, ErrInvalidCredentials
	}
	if !cred.IsActive {
		e := target
		e.Event, e.Details = users.EventLoginFailure, map[string]any{"reason": "disabled"}
		s.audit(ctx, e)
		return LoginResult{}, ErrAccountDisabled
	}
	if cred.TFAEnabled {
		trusted := false
		if deviceToken != "" {
			if trusted, err = s.store.useDevice(ctx, cred.ID, hashToken(deviceToken), now); err != nil {
				return LoginResult{}, err
			}
		}
		if !trusted {
			ch, err := s.newChallenge(ctx, cred.ID, now)
			if err != nil {
				return LoginResult{}, err
			}
			return LoginResult{TFAChallenge: ch}, nil
		}
	}
	t, err := s.startSession(ctx, cred.ID, "password")
	if err != nil {
		return LoginResult{}, err
	}
	e := target
	e.Event, e.Success, e.Details = users.EventLoginSuccess, true, map[string]any{"method": "password", "trustedDevice": cred.TFAEnabled}
	s.audit(ctx, e)
	return LoginResult{Tokens: t}, nil
}

func (s *Service) audit(ctx context.Context, e users.AuditEntry) { s.users.Audit(ctx, e) }

// challengeTTL is how long a 2FA challenge from Login stays valid.
const challengeTTL = 5 * time.Minute

type challenge struct {
	UserID  uuid.UUID `json:"u"`
	Expires int64     `json:"e"` // unix ms
}

func (s *Service) newChallenge(ctx context.Context, userID uuid.UUID, now time.Time) (string, error) {
	tok := randomToken(32)
	b, _ := json.Marshal(challenge{UserID: userID, Expires: now.Add(challengeTTL).UnixMilli()})
	if err := s.cfg.Tokens.Put(ctx, "tfa-challenge:"+hashToken(tok), b, challengeTTL); err != nil {
		return "", err
	}
	return tok, nil
}

// takeChallenge consumes a challenge; putBack returns it for another try.
func (s *Service) takeChallenge(ctx context.Context, tok string, now time.Time) (c challenge, putBack func(), err error) {
	key := "tfa-challenge:" + hashToken(tok)
	b, ok, err := s.cfg.Tokens.Take(ctx, key)
	if err != nil {
		return challenge{}, nil, err
	}
	if !ok || json.Unmarshal(b, &c) != nil || now.UnixMilli() >= c.Expires {
		return challenge{}, nil, ErrTFAChallenge
	}
	putBack = func() {
		left := time.Duration(c.Expires-s.now().UnixMilli()) * time.Millisecond
		if left > 0 {
			if err := s.cfg.Tokens.Put(context.WithoutCancel(ctx), key, b, left); err != nil {
				s.log.WarnContext(ctx, "keeping 2FA challenge failed", "err", err)
			}
		}
	}
	return c, putBack, nil
}

// Refresh exchanges a refresh token for new tokens, rotating the refresh token.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	if refreshToken == "" {
		return nil, ErrInvalidRefresh
	}
	now := s.now()
	newRefresh := randomToken(32)
	exp := now.Add(s.cfg.RefreshTTL)
	sess, err := s.store.rotate(ctx, hashToken(refreshToken), hashToken(newRefresh), now, exp, func(sess session) (bool, error) {
		switch {
		case sess.RevokedAt != nil, !now.Before(sess.ExpiresAt):
			return false, ErrInvalidRefresh
		case now.Sub(sess.LastActivityAt) >= s.cfg.InactivityTimeout:
			return true, ErrSessionInactive
		case !sess.UserActive:
			return true, ErrAccountDisabled401
		}
		return false, nil
	})
	if errors.Is(err, errNoRows) {
		return nil, ErrInvalidRefresh
	}
	if err != nil {
		return nil, err
	}
	u, err := s.users.GetUser(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	access, aexp, err := s.issueAccess(sess.UserID, sess.ID, now)
	if err != nil {
		return nil, err
	}
	return &Tokens{User: u, Permissions: s.principal(sess).Permissions, SessionID: sess.ID, AccessToken: access,
		AccessExpires: aexp, RefreshToken: newRefresh, RefreshExpires: exp}, nil
}

// Logout revokes the session an access token (even an expired one) or a refresh token
// belongs to. Unknown tokens are not an error: the client is signed out either way.
func (s *Service) Logout(ctx context.Context, accessToken, refreshToken string) error {
	var sid, uid uuid.UUID
	if accessToken != "" {
		u, id, err := s.parseAccess(accessToken, true)
		if err == nil {
			sid, uid = id, u
		}
	}
	if sid == uuid.Nil && refreshToken != "" {
		id, u, err := s.store.sessionIDByHash(ctx, hashToken(refreshToken))
		if err != nil && !errors.Is(err, errNoRows) {
			return err
		}
		sid, uid = id, u
	}
	if sid == uuid.Nil {
		return nil
	}
	revoked, err := s.store.revokeSession(ctx, uid, sid, s.now())
	if err != nil {
		return err
	}
	if revoked {
		s.audit(ctx, users.AuditEntry{Event: users.EventLogout, Success: true, ActorID: uid, TargetType: "session", TargetID: sid.String()})
	}
	return nil
}

// LogoutAll revokes every session of the user.
func (s *Service) LogoutAll(ctx context.Context, userID uuid.UUID) error {
	n, err := s.store.revokeAll(ctx, userID, uuid.Nil, s.now())
	if err != nil {
		return err
	}
	s.audit(ctx, users.AuditEntry{Event: users.EventLogoutAll, Success: true, TargetType: "user", TargetID: userID.String(),
		Details: map[string]any{"sessions": n}})
	return nil
}

// RevokeUserSessions signs a user out everywhere and forgets their trusted devices (used
// by administrators' actions through users.Config.RevokeSessions).
func (s *Service) RevokeUserSessions(ctx context.Context, userID uuid.UUID) error {
	if _, err := s.store.revokeAll(ctx, userID, uuid.Nil, s.now()); err != nil {
		return err
	}
	return s.store.deleteDevices(ctx, userID)
}

// SessionInfo describes one active session.
type SessionInfo struct {
	ID                                   uuid.UUID
	LoginMethod, IP, UserAgent           string
	CreatedAt, LastActivityAt, ExpiresAt time.Time
}

// ListSessions returns the user's active sessions, most recently used first.
func (s *Service) ListSessions(ctx context.Context, userID uuid.UUID) ([]SessionInfo, error) {
	list, err := s.store.listSessions(ctx, userID, s.now(), s.cfg.InactivityTimeout)
	if err != nil {
		return nil, err
	}
	out := make([]SessionInfo, 0, len(list))
	for _, x := range list {
		out = append(out, SessionInfo{ID: x.ID, LoginMethod: x.LoginMethod, IP: x.IP, UserAgent: x.UserAgent,
			CreatedAt: x.CreatedAt, LastActivityAt: x.LastActivityAt, ExpiresAt: x.ExpiresAt})
	}
	return out, nil
}

// RevokeSession revokes one of the user's sessions.
func (s *Service) RevokeSession(ctx context.Context, userID, sessionID uuid.UUID) error {
	ok, err := s.store.revokeSession(ctx, userID, sessionID, s.now())
	if err != nil {
		return err
	}
	if !ok {
		return ErrSessionNotFound
	}
	s.audit(ctx, users.AuditEntry{Event: users.EventSessionRevoked, Success: true, TargetType: "session", TargetID: sessionID.String()})
	return nil
}

// ChangePassword changes the signed-in user's password after checking the current one,
// within PASSWORD_RATE_LIMIT_*, and signs out their other sessions.
func (s *Service) ChangePassword(ctx context.Context, p *users.Principal, current, next string) error {
	d, err := s.cfg.Limiter.Allow(ctx, "pwchange:"+p.UserID.String(), s.cfg.PasswordRateMax, s.cfg.PasswordRateWindow)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return ErrPasswordRate
	}
	cred, err := s.store.credByID(ctx, p.UserID)
	if err != nil {
		return err
	}
	if !s.users.Hasher().Compare(cred.PasswordHash, current) {
		s.audit(ctx, users.AuditEntry{Event: users.EventPasswordChanged, Success: false, TargetType: "user",
			TargetID: p.UserID.String(), TargetName: p.Username, Details: map[string]any{"reason": "wrong_current_password"}})
		return ErrWrongCurrent
	}
	if err := s.users.Policy().Check("newPassword", next); err != nil {
		return err
	}
	if current == next {
		return ErrSamePassword
	}
	hash, err := s.users.Hasher().Hash(next)
	if err != nil {
		return err
	}
	now := s.now()
	if err := s.store.setPasswordHash(ctx, p.UserID, hash, now); err != nil {
		return err
	}
	n, err := s.store.revokeAll(ctx, p.UserID, p.SessionID, now)
	if err != nil {
		return err
	}
	s.audit(ctx, users.AuditEntry{Event: users.EventPasswordChanged, Success: true, TargetType: "user",
		TargetID: p.UserID.String(), TargetName: p.Username, Details: map[string]any{"otherSessionsRevoked": n}})
	return nil
}

// SetupAdmin creates the first user (a super admin) and signs them in; once any user
// exists it fails with users.ErrSetupDone.
func (s *Service) SetupAdmin(ctx context.Context, in users.NewUser) (*Tokens, error) {
	in.NoPassword = false
	u, err := s.users.CreateFirstAdmin(ctx, in)
	if err != nil {
		return nil, err
	}
	return s.startSession(ctx, u.ID, "password")
}

// SignupEnabled reports whether self sign-up is open: turned on by an administrator,
// setup done and password sign-in not disabled.
func (s *Service) SignupEnabled(ctx context.Context) (bool, error) {
	if s.LocalAuthDisabled() {
		return false, nil
	}
	if setup, err := s.users.SetupRequired(ctx); err != nil || setup {
		return false, err
	}
	return s.users.SignupEnabled(ctx)
}

// Signup creates an account with the default role and signs it in.
func (s *Service) Signup(ctx context.Context, in users.NewUser) (*Tokens, error) {
	on, err := s.SignupEnabled(ctx)
	if err != nil {
		return nil, err
	}
	if !on {
		return nil, ErrSignupDisabled
	}
	in.Role, in.NoPassword, in.Inactive = "", false, false
	u, err := s.users.CreateUser(ctx, in, users.EventSignup)
	if err != nil {
		return nil, err
	}
	return s.startSession(ctx, u.ID, "password")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
