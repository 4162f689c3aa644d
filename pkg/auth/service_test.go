package auth_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/auth"
	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/dbmigrate"
	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/kv"
	"github.com/patchmon-go/patchmon/pkg/users"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

// clock is a test clock that only moves when told to.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	svc   *auth.Service
	users *users.Service
	clock *clock
	pool  *pgxpool.Pool
	ctx   context.Context
}

const testPassword = "Corr3ct-Horse!"

// setup builds the services on a fresh database with a test clock. cfg fields left zero
// get the documented defaults.
func setup(t *testing.T, cfg auth.Config) *env {
	t.Helper()
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, patchmontest.DatabaseURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	mig, err := dbmigrate.New(pool, dbmigrate.Config{SkipRiver: true})
	require.NoError(t, err)
	_, err = mig.Up(ctx)
	require.NoError(t, err)
	d := db.New(pool, db.Options{})
	clk := &clock{t: time.Now().Truncate(time.Second)}
	var svc *auth.Service
	us, err := users.New(users.Config{DB: d, Hasher: users.NewHasher(4), Now: clk.Now, Logger: patchmontest.Logger(t),
		Policy:         users.PasswordPolicy{MinLength: 8, RequireUppercase: true, RequireLowercase: true, RequireNumber: true, RequireSpecial: true},
		RevokeSessions: func(ctx context.Context, id uuid.UUID) error { return svc.RevokeUserSessions(ctx, id) }})
	require.NoError(t, err)
	require.NoError(t, us.Bootstrap(ctx))
	store := kv.NewMemory()
	t.Cleanup(store.Close)
	cfg.DB, cfg.Users, cfg.Limiter, cfg.Tokens, cfg.Now = d, us, store, store, clk.Now
	cfg.JWTSecret = strings.Repeat("s", 40)
	cfg.EncryptionKey = make([]byte, 32)
	cfg.Logger = patchmontest.Logger(t)
	svc, err = auth.New(cfg)
	require.NoError(t, err)
	return &env{svc: svc, users: us, clock: clk, pool: pool, ctx: ctx}
}

func (e *env) user(t *testing.T, name, role string) users.User {
	t.Helper()
	u, err := e.users.CreateUser(e.ctx, users.NewUser{Username: name, Email: name + "@example.com", Password: testPassword, Role: role}, "")
	require.NoError(t, err)
	return u
}

func (e *env) login(t *testing.T, name string) *auth.Tokens {
	t.Helper()
	res, err := e.svc.Login(e.ctx, name, testPassword, "")
	require.NoError(t, err)
	require.NotNil(t, res.Tokens)
	return res.Tokens
}

func apiCode(err error) (int, string) {
	var ae *httpx.APIError
	if errors.As(err, &ae) {
		return ae.Status, ae.Code
	}
	return 0, ""
}

func (e *env) auditEvents(t *testing.T, prefix string) []string {
	t.Helper()
	recs, _, err := e.users.ListAudit(e.ctx, users.AuditFilter{Event: prefix, Limit: 500})
	require.NoError(t, err)
	var out []string
	for _, r := range recs {
		out = append(out, r.Event)
	}
	sort.Strings(out)
	return out
}

func TestLockoutAfterMaxAttemptsForTheFullDuration(t *testing.T) {
	t.Parallel()
	e := setup(t, auth.Config{MaxLoginAttempts: 3, LockoutDuration: 15 * time.Minute})
	e.user(t, "alice", users.RoleUser)

	// Two failures, then a success, clear the counter.
	for range 2 {
		_, err := e.svc.Login(e.ctx, "alice", "wrong", "")
		require.ErrorIs(t, err, auth.ErrInvalidCredentials)
	}
	e.login(t, "alice")
	for range 2 {
		_, err := e.svc.Login(e.ctx, "ALICE@example.com", "wrong", "")
		require.ErrorIs(t, err, auth.ErrInvalidCredentials, "email works as login, case-insensitively")
	}
	// The third failure in the window locks, and says so.
	_, err := e.svc.Login(e.ctx, "alice", "wrong", "")
	status, code := apiCode(err)
	require.Equal(t, 423, status)
	assert.Equal(t, users.CodeAccountLocked, code)
	assert.Contains(t, err.Error(), "Try again in 15 minutes")

	// Locked means locked: the right password does not help, up to the last second.
	e.clock.Advance(14*time.Minute + 59*time.Second)
	_, err = e.svc.Login(e.ctx, "alice", testPassword, "")
	status, _ = apiCode(err)
	require.Equal(t, 423, status)
	assert.Contains(t, err.Error(), "1 minute")

	e.clock.Advance(2 * time.Second)
	e.login(t, "alice")
	// After a lockout the count starts again from zero.
	_, err = e.svc.Login(e.ctx, "alice", "wrong", "")
	require.ErrorIs(t, err, auth.ErrInvalidCredentials)

	assert.Contains(t, e.auditEvents(t, "auth.login."), users.EventLoginLocked)
}

func TestFailedAttemptsExpireAfterTheRollingWindow(t *testing.T) {
	t.Parallel()
	e := setup(t, auth.Config{MaxLoginAttempts: 3})
	e.user(t, "bob", users.RoleUser)
	for range 2 {
		_, err := e.svc.Login(e.ctx, "bob", "wrong", "")
		require.ErrorIs(t, err, auth.ErrInvalidCredentials)
	}
	// 15 quiet minutes reset the counter on their own.
	e.clock.Advance(15*time.Minute + time.Second)
	for range 2 {
		_, err := e.svc.Login(e.ctx, "bob", "wrong", "")
		require.ErrorIs(t, err, auth.ErrInvalidCredentials, "not locked: the earlier failures left the window")
	}
	_, err := e.svc.Login(e.ctx, "bob", "wrong", "")
	status, _ := apiCode(err)
	assert.Equal(t, 423, status)
}

func TestUnknownUserAndWrongPasswordLookTheSame(t *testing.T) {
	t.Parallel()
	e := setup(t, auth.Config{})
	e.user(t, "carol", users.RoleUser)
	_, errUnknown := e.svc.Login(e.ctx, "nobody", "wrong", "")
	_, errWrong := e.svc.Login(e.ctx, "carol", "wrong", "")
	assert.Equal(t, errUnknown, errWrong)
	assert.Equal(t, "Invalid username or password", errUnknown.Error())

	// Both paths run bcrypt at the configured cost. The hasher above uses the minimum cost,
	// so compare with a costlier one: an unknown user must cost about one comparison.
	h := users.NewHasher(8)
	hash, err := h.Hash(testPassword)
	require.NoError(t, err)
	median := func(f func()) time.Duration {
		var d []time.Duration
		for range 3 {
			start := time.Now()
			f()
			d = append(d, time.Since(start))
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[1]
	}
	known := median(func() { h.Compare(hash, "wrong") })
	unknown := median(func() { h.Compare("", "wrong") })
	ratio := float64(unknown) / float64(known)
	assert.Greater(t, ratio, 0.5, "unknown %v vs known %v", unknown, known)
	assert.Less(t, ratio, 2.0, "unknown %v vs known %v", unknown, known)
}

func TestDisabledAccountCannotSignIn(t *testing.T) {
	t.Parallel()
	e := setup(t, auth.Config{})
	u := e.user(t, "dave", users.RoleUser)
	tok := e.login(t, "dave")
	off := false
	_, err := e.users.UpdateUser(e.ctx, u.ID, users.UserPatch{IsActive: &off})
	require.NoError(t, err)
	_, err = e.svc.Login(e.ctx, "dave", testPassword, "")
	require.ErrorIs(t, err, auth.ErrAccountDisabled)
	_, err = e.svc.Authenticate(e.ctx, tok.AccessToken)
	require.Error(t, err, "deactivation ends existing sessions")
}

func TestTokenExpiryRefreshAndInactivity(t *testing.T) {
	t.Parallel()
	e := setup(t, auth.Config{AccessTTL: 15 * time.Minute, RefreshTTL: 24 * time.Hour, InactivityTimeout: 30 * time.Minute})
	u := e.user(t, "erin", users.RoleHostManager)
	tok := e.login(t, "erin")
	assert.WithinDuration(t, e.clock.Now().Add(15*time.Minute), tok.AccessExpires, time.Second)

	p, err := e.svc.Authenticate(e.ctx, tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, u.ID, p.UserID)
	assert.Equal(t, users.RoleHostManager, p.Role)
	assert.True(t, p.Can(users.PermManageHosts))
	assert.False(t, p.Can(users.PermManageUsers))

	// The access token expires; the refresh token brings a new one and is rotated.
	e.clock.Advance(16 * time.Minute)
	_, err = e.svc.Authenticate(e.ctx, tok.AccessToken)
	require.ErrorIs(t, err, auth.ErrTokenExpired)
	tok2, err := e.svc.Refresh(e.ctx, tok.RefreshToken)
	require.NoError(t, err)
	assert.NotEqual(t, tok.RefreshToken, tok2.RefreshToken)
	assert.Equal(t, tok.SessionID, tok2.SessionID)
	_, err = e.svc.Refresh(e.ctx, tok.RefreshToken)
	require.ErrorIs(t, err, auth.ErrInvalidRefresh, "a rotated refresh token is dead")
	_, err = e.svc.Authenticate(e.ctx, tok2.AccessToken)
	require.NoError(t, err)

	// Activity is written at most once a minute, not on every request.
	var before time.Time
	require.NoError(t, e.pool.QueryRow(e.ctx, `SELECT last_activity_at FROM user_sessions WHERE id = $1`, tok2.SessionID).Scan(&before))
	e.clock.Advance(30 * time.Second)
	_, err = e.svc.Authenticate(e.ctx, tok2.AccessToken)
	require.NoError(t, err)
	var after time.Time
	require.NoError(t, e.pool.QueryRow(e.ctx, `SELECT last_activity_at FROM user_sessions WHERE id = $1`, tok2.SessionID).Scan(&after))
	assert.True(t, after.Equal(before), "no write within the minute")
	e.clock.Advance(31 * time.Second)
	_, err = e.svc.Authenticate(e.ctx, tok2.AccessToken)
	require.NoError(t, err)
	require.NoError(t, e.pool.QueryRow(e.ctx, `SELECT last_activity_at FROM user_sessions WHERE id = $1`, tok2.SessionID).Scan(&after))
	assert.True(t, after.After(before), "written once a minute has passed")

	// Activity keeps the session alive; 30 idle minutes end it, for good.
	e.clock.Advance(13 * time.Minute)
	tok3, err := e.svc.Refresh(e.ctx, tok2.RefreshToken)
	require.NoError(t, err)
	e.clock.Advance(30 * time.Minute)
	_, err = e.svc.Authenticate(e.ctx, tok3.AccessToken)
	require.ErrorIs(t, err, auth.ErrTokenExpired)
	_, err = e.svc.Refresh(e.ctx, tok3.RefreshToken)
	require.ErrorIs(t, err, auth.ErrSessionInactive)
	_, err = e.svc.Refresh(e.ctx, tok3.RefreshToken)
	require.ErrorIs(t, err, auth.ErrInvalidRefresh, "an expired session stays expired")
}

func TestInactivityEnforcedOnAccessTokens(t *testing.T) {
	t.Parallel()
	e := setup(t, auth.Config{AccessTTL: 2 * time.Hour, InactivityTimeout: 10 * time.Minute})
	e.user(t, "fay", users.RoleUser)
	tok := e.login(t, "fay")
	e.clock.Advance(10 * time.Minute)
	_, err := e.svc.Authenticate(e.ctx, tok.AccessToken)
	require.ErrorIs(t, err, auth.ErrSessionInactive, "a valid JWT does not outlive the inactivity timeout")
}

func TestLogoutRevokes(t *testing.T) {
	t.Parallel()
	e := setup(t, auth.Config{})
	u := e.user(t, "gus", users.RoleUser)
	a, b, c := e.login(t, "gus"), e.login(t, "gus"), e.login(t, "gus")

	require.NoError(t, e.svc.Logout(e.ctx, a.AccessToken, ""))
	_, err := e.svc.Authenticate(e.ctx, a.AccessToken)
	require.ErrorIs(t, err, auth.ErrSessionRevoked)
	_, err = e.svc.Refresh(e.ctx, a.RefreshToken)
	require.ErrorIs(t, err, auth.ErrInvalidRefresh)
	_, err = e.svc.Authenticate(e.ctx, b.AccessToken)
	require.NoError(t, err, "other sessions are untouched")

	// Logging out with only the refresh token works too (the access token expired).
	require.NoError(t, e.svc.Logout(e.ctx, "", b.RefreshToken))
	_, err = e.svc.Authenticate(e.ctx, b.AccessToken)
	require.ErrorIs(t, err, auth.ErrSessionRevoked)

	list, err := e.svc.ListSessions(e.ctx, u.ID)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, c.SessionID, list[0].ID)

	d := e.login(t, "gus")
	require.NoError(t, e.svc.LogoutAll(e.ctx, u.ID))
	for _, tok := range []*auth.Tokens{c, d} {
		_, err = e.svc.Authenticate(e.ctx, tok.AccessToken)
		require.ErrorIs(t, err, auth.ErrSessionRevoked)
	}
	assert.Contains(t, e.auditEvents(t, "auth."), users.EventLogoutAll)
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	e := setup(t, auth.Config{PasswordRateMax: 3})
	e.user(t, "hal", users.RoleUser)
	keep, other := e.login(t, "hal"), e.login(t, "hal")
	p, err := e.svc.Authenticate(e.ctx, keep.AccessToken)
	require.NoError(t, err)

	err = e.svc.ChangePassword(e.ctx, p, "wrong", "N3w-Password!")
	assert.Equal(t, "currentPassword", err.(*httpx.APIError).Field)
	err = e.svc.ChangePassword(e.ctx, p, testPassword, "short")
	var ae *httpx.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "newPassword", ae.Field)
	assert.Equal(t, users.CodePasswordPolicy, ae.Code)
	assert.Contains(t, ae.Message, "at least 8 characters")
	require.NoError(t, e.svc.ChangePassword(e.ctx, p, testPassword, "N3w-Password!"))

	_, err = e.svc.Authenticate(e.ctx, keep.AccessToken)
	require.NoError(t, err, "the session that changed the password stays")
	_, err = e.svc.Authenticate(e.ctx, other.AccessToken)
	require.ErrorIs(t, err, auth.ErrSessionRevoked, "other sessions are signed out")
	_, err = e.svc.Login(e.ctx, "hal", "N3w-Password!", "")
	require.NoError(t, err)

	// PASSWORD_RATE_LIMIT_MAX attempts per window, failed or not.
	err = e.svc.ChangePassword(e.ctx, p, "N3w-Password!", "An0ther-Password!")
	require.ErrorIs(t, err, auth.ErrPasswordRate)
}
