package enrollment_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/dbmigrate"
	"github.com/patchmon-go/patchmon/pkg/enrollment"
	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/inventory"
	"github.com/patchmon-go/patchmon/pkg/kv"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// svcEnv is a Service on a fresh database, without HTTP.
type svcEnv struct {
	svc   *enrollment.Service
	pool  *pgxpool.Pool
	clock *clock
}

func setupService(t testing.TB) svcEnv {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, patchmontest.DatabaseURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	mig, err := dbmigrate.New(pool, dbmigrate.Config{SkipRiver: true})
	require.NoError(t, err)
	_, err = mig.Up(ctx)
	require.NoError(t, err)
	store := kv.NewMemory()
	t.Cleanup(store.Close)
	d := db.New(pool, db.Options{})
	inv, err := inventory.New(inventory.Config{DB: d, Cache: store, Tokens: store,
		Secret: []byte("0123456789abcdef0123456789abcdef"), APIKeyCost: bcrypt.MinCost})
	require.NoError(t, err)
	c := &clock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	svc, err := enrollment.New(enrollment.Config{DB: d, Inventory: inv, Cache: store,
		Secret: []byte("fedcba9876543210fedcba9876543210"), SecretCost: bcrypt.MinCost, Now: c.Now,
		Logger: patchmontest.Logger(t)})
	require.NoError(t, err)
	return svcEnv{svc: svc, pool: pool, clock: c}
}

func ptr[T any](v T) *T { return &v }

func (e svcEnv) create(t *testing.T, in enrollment.TokenInput) enrollment.CreatedToken {
	t.Helper()
	ct, err := e.svc.CreateToken(context.Background(), in)
	require.NoError(t, err)
	return ct
}

func basic(key, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"+secret))
}

func apiErr(t *testing.T, err error) *httpx.APIError {
	t.Helper()
	var ae *httpx.APIError
	require.True(t, errors.As(err, &ae), "want an *httpx.APIError, got %v", err)
	return ae
}

var localhost = netip.MustParseAddr("127.0.0.1")

// TestBasicAuthenticationOrder walks the documented validation order of the Integration
// API and GetHomepage credentials, checking each step's message and status.
func TestBasicAuthenticationOrder(t *testing.T) {
	t.Parallel()
	e := setupService(t)
	ctx := context.Background()
	api := e.create(t, enrollment.TokenInput{Name: ptr("Ansible"), Metadata: &map[string]any{"integration_type": "api"},
		Scopes: &enrollment.Scopes{"host": {"get"}}})
	ghp := e.create(t, enrollment.TokenInput{Name: ptr("Widget"), Metadata: &map[string]any{"integration_type": "gethomepage"}})
	disabled := e.create(t, enrollment.TokenInput{Name: ptr("Off"), Metadata: &map[string]any{"integration_type": "api"},
		Scopes: &enrollment.Scopes{"host": {"get"}}})
	_, err := e.svc.UpdateToken(ctx, disabled.ID, enrollment.TokenInput{IsActive: ptr(false)})
	require.NoError(t, err)
	expired := e.create(t, enrollment.TokenInput{Name: ptr("Old"), Metadata: &map[string]any{"integration_type": "api"},
		Scopes: &enrollment.Scopes{"host": {"get"}}, ExpiresAt: ptr("2026-03-01T00:00:00Z")})
	limited := e.create(t, enrollment.TokenInput{Name: ptr("Lan only"), Metadata: &map[string]any{"integration_type": "api"},
		Scopes: &enrollment.Scopes{"host": {"get", "delete"}}, AllowedIPRanges: &[]string{"10.0.0.0/8"}})

	cases := []struct {
		name, header, typ string
		ip                netip.Addr
		status            int
		msg               string
	}{
		{"no header", "", "api", localhost, 401, "Missing or invalid authorization header"},
		{"bearer", "Bearer abc", "api", localhost, 401, "Missing or invalid authorization header"},
		{"not base64", "Basic !!!", "api", localhost, 401, "Invalid credentials format"},
		{"no colon", "Basic " + base64.StdEncoding.EncodeToString([]byte("nocolon")), "api", localhost, 401, "Invalid credentials format"},
		{"unknown key", basic("patchmon_ae_nope", "x"), "api", localhost, 401, "Invalid API key"},
		{"disabled", basic(disabled.Key, disabled.Secret), "api", localhost, 401, "API key is disabled"},
		{"expired", basic(expired.Key, expired.Secret), "api", localhost, 401, "API key has expired"},
		{"wrong type", basic(ghp.Key, ghp.Secret), "api", localhost, 401, "Invalid API key type"},
		{"wrong secret", basic(api.Key, "wrong"), "api", localhost, 401, "Invalid API secret"},
		{"ip not allowed", basic(limited.Key, limited.Secret), "api", localhost, 403, "IP address not allowed"},
		// The type check comes before the secret: a gethomepage key with a bad secret on
		// the Integration API is reported as the wrong type.
		{"type before secret", basic(ghp.Key, "wrong"), "api", localhost, 401, "Invalid API key type"},
		// Expiry comes before the type.
		{"expiry before type", basic(expired.Key, expired.Secret), "gethomepage", localhost, 401, "API key has expired"},
	}
	for _, c := range cases {
		_, err := e.svc.Authenticate(ctx, enrollment.Credentials{Scheme: enrollment.SchemeBasic, Authorization: c.header, Type: c.typ, ClientIP: c.ip})
		ae := apiErr(t, err)
		assert.Equal(t, c.status, ae.Status, c.name)
		assert.Equal(t, c.msg, ae.Message, c.name)
	}

	tok, err := e.svc.Authenticate(ctx, enrollment.Credentials{Scheme: enrollment.SchemeBasic, Authorization: basic(api.Key, api.Secret), Type: "api", ClientIP: localhost})
	require.NoError(t, err)
	assert.Equal(t, api.ID, tok.ID)
	assert.Equal(t, "api", tok.IntegrationType)
	assert.True(t, tok.Scopes.Allows("host", "get"))
	assert.False(t, tok.Scopes.Allows("host", "delete"), "scopes are explicit")

	tok, err = e.svc.Authenticate(ctx, enrollment.Credentials{Scheme: enrollment.SchemeBasic, Authorization: basic(limited.Key, limited.Secret), Type: "api",
		ClientIP: netip.MustParseAddr("::ffff:10.9.8.7")})
	require.NoError(t, err, "an IPv4-mapped client address matches an IPv4 range")
	assert.True(t, tok.Scopes.Allows("host", "delete"))

	_, err = e.svc.Authenticate(ctx, enrollment.Credentials{Scheme: enrollment.SchemeBasic, Authorization: basic(ghp.Key, ghp.Secret), Type: "gethomepage", ClientIP: localhost})
	require.NoError(t, err)

	// Enrollment credentials are not Integration API credentials, and the reverse.
	_, err = e.svc.Authenticate(ctx, enrollment.Credentials{Scheme: enrollment.SchemeEnrollment, Key: api.Key, Secret: api.Secret, ClientIP: localhost})
	assert.Equal(t, "Token is not an auto-enrollment token", apiErr(t, err).Message)

	info, err := e.svc.GetToken(ctx, api.ID)
	require.NoError(t, err)
	require.NotNil(t, info.LastUsedAt, "a successful authentication records last_used_at")
}

// TestSecretVerifiedOnceThenCached checks that a cached verification still sees a token
// disabled, expired or deleted after it was cached.
func TestSecretVerifiedOnceThenCached(t *testing.T) {
	t.Parallel()
	e := setupService(t)
	ctx := context.Background()
	ct := e.create(t, enrollment.TokenInput{Name: ptr("Cached")})
	cred := enrollment.Credentials{Scheme: enrollment.SchemeEnrollment, Key: ct.Key, Secret: ct.Secret, ClientIP: localhost}
	for range 3 {
		_, err := e.svc.Authenticate(ctx, cred)
		require.NoError(t, err)
	}
	// A wrong secret is never answered from the cache of the right one.
	_, err := e.svc.Authenticate(ctx, enrollment.Credentials{Scheme: enrollment.SchemeEnrollment, Key: ct.Key, Secret: ct.Secret + "x", ClientIP: localhost})
	assert.Equal(t, "Invalid token secret", apiErr(t, err).Message)

	_, err = e.svc.UpdateToken(ctx, ct.ID, enrollment.TokenInput{IsActive: ptr(false)})
	require.NoError(t, err)
	_, err = e.svc.Authenticate(ctx, cred)
	assert.Equal(t, "Invalid or inactive token", apiErr(t, err).Message)

	_, err = e.svc.UpdateToken(ctx, ct.ID, enrollment.TokenInput{IsActive: ptr(true), ExpiresAt: ptr("2026-03-10T11:00:00Z")})
	require.NoError(t, err)
	_, err = e.svc.Authenticate(ctx, cred)
	assert.Equal(t, "Token expired", apiErr(t, err).Message)

	_, err = e.svc.UpdateToken(ctx, ct.ID, enrollment.TokenInput{ExpiresAt: ptr("")})
	require.NoError(t, err)
	_, err = e.svc.Authenticate(ctx, cred)
	require.NoError(t, err, "clearing the expiry makes the token valid again")

	_, err = e.svc.DeleteToken(ctx, ct.ID)
	require.NoError(t, err)
	_, err = e.svc.Authenticate(ctx, cred)
	assert.Equal(t, "Invalid or inactive token", apiErr(t, err).Message)
}

// TestDailyQuotaResets fills a token's quota, checks the 429 wording for single and bulk
// requests and that the count starts again on the next UTC day.
func TestDailyQuotaResets(t *testing.T) {
	t.Parallel()
	e := setupService(t)
	ctx := context.Background()
	ct := e.create(t, enrollment.TokenInput{Name: ptr("Small"), MaxHostsPerDay: ptr(3)})
	tok, err := e.svc.Authenticate(ctx, enrollment.Credentials{Scheme: enrollment.SchemeEnrollment, Key: ct.Key, Secret: ct.Secret, ClientIP: localhost})
	require.NoError(t, err)

	_, err = e.svc.Enroll(ctx, tok, enrollment.HostRequest{FriendlyName: "a"})
	require.NoError(t, err)
	_, err = e.svc.EnrollBulk(ctx, tok, []enrollment.HostRequest{{FriendlyName: "b"}, {FriendlyName: "c"}, {FriendlyName: "d"}})
	var qe *enrollment.QuotaError
	require.ErrorAs(t, err, &qe)
	assert.Equal(t, "Only 2 hosts remaining in daily quota", qe.Message)
	assert.Equal(t, 1, hostCount(t, e.pool), "a rejected bulk request creates nothing")

	res, err := e.svc.EnrollBulk(ctx, tok, []enrollment.HostRequest{{FriendlyName: "b"}, {FriendlyName: "c"}})
	require.NoError(t, err)
	assert.Len(t, res.Success, 2)

	_, err = e.svc.Enroll(ctx, tok, enrollment.HostRequest{FriendlyName: "e"})
	require.ErrorAs(t, err, &qe)
	assert.Equal(t, "Maximum 3 hosts per day allowed for this token", qe.Message)
	_, err = e.svc.EnrollBulk(ctx, tok, []enrollment.HostRequest{{FriendlyName: "e"}})
	require.ErrorAs(t, err, &qe)
	assert.Equal(t, "Maximum 3 hosts per day allowed for this token", qe.Message, "no quota left at all")

	info, err := e.svc.GetToken(ctx, ct.ID)
	require.NoError(t, err)
	assert.Equal(t, 3, info.HostsCreatedToday)

	// Just before midnight UTC nothing changes; from midnight the count restarts.
	e.clock.Set(time.Date(2026, 3, 10, 23, 59, 59, 0, time.UTC))
	_, err = e.svc.Enroll(ctx, tok, enrollment.HostRequest{FriendlyName: "e"})
	require.ErrorAs(t, err, &qe)
	e.clock.Set(time.Date(2026, 3, 11, 0, 0, 1, 0, time.UTC))
	info, err = e.svc.GetToken(ctx, ct.ID)
	require.NoError(t, err)
	assert.Equal(t, 0, info.HostsCreatedToday, "a new day shows an empty count before any request")
	_, err = e.svc.Enroll(ctx, tok, enrollment.HostRequest{FriendlyName: "e"})
	require.NoError(t, err)
	info, err = e.svc.GetToken(ctx, ct.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, info.HostsCreatedToday)
	assert.Equal(t, 4, hostCount(t, e.pool))
}

// TestBulkCountsOnlyCreatedHosts checks partial success: invalid hosts fail, already
// enrolled machine_ids are skipped, and neither uses quota.
func TestBulkCountsOnlyCreatedHosts(t *testing.T) {
	t.Parallel()
	e := setupService(t)
	ctx := context.Background()
	ct := e.create(t, enrollment.TokenInput{Name: ptr("Bulk"), MaxHostsPerDay: ptr(3)})
	tok, err := e.svc.Authenticate(ctx, enrollment.Credentials{Scheme: enrollment.SchemeEnrollment, Key: ct.Key, Secret: ct.Secret, ClientIP: localhost})
	require.NoError(t, err)
	first, err := e.svc.Enroll(ctx, tok, enrollment.HostRequest{FriendlyName: "web", MachineID: "m-web"})
	require.NoError(t, err)

	res, err := e.svc.EnrollBulk(ctx, tok, []enrollment.HostRequest{
		{FriendlyName: "web again", MachineID: "m-web"},
		{FriendlyName: "  ", MachineID: "m-blank"},
		{FriendlyName: "db", MachineID: "m-db"},
		{FriendlyName: "db twin", MachineID: "m-db"},
		{FriendlyName: "cache"},
	})
	require.NoError(t, err)
	require.Len(t, res.Success, 2)
	assert.Equal(t, "db", res.Success[0].FriendlyName)
	assert.Equal(t, "cache", res.Success[1].FriendlyName)
	require.Len(t, res.Failed, 1)
	assert.Equal(t, "Friendly name is required (max 255 characters)", res.Failed[0].Error)
	require.Len(t, res.Skipped, 2)
	assert.Equal(t, first.ID, res.Skipped[0].ID, "the existing host is reported")
	assert.Equal(t, "m-db", res.Skipped[1].MachineID, "a machine_id twice in one request is created once")
	assert.Equal(t, 3, hostCount(t, e.pool))

	info, err := e.svc.GetToken(ctx, ct.ID)
	require.NoError(t, err)
	assert.Equal(t, 3, info.HostsCreatedToday, "only created hosts count")
}

func hostCount(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT count(*) FROM hosts`).Scan(&n))
	return n
}

// BenchmarkAuthenticateCached measures a repeat authentication: a token row read and the
// cache lookup, without bcrypt.
func BenchmarkAuthenticateCached(b *testing.B) {
	e := setupService(b)
	ctx := context.Background()
	ct, err := e.svc.CreateToken(ctx, enrollment.TokenInput{Name: ptr("Bench"), Metadata: &map[string]any{"integration_type": "api"},
		Scopes: &enrollment.Scopes{"host": {"get"}}})
	require.NoError(b, err)
	c := enrollment.Credentials{Scheme: enrollment.SchemeBasic, Authorization: basic(ct.Key, ct.Secret), Type: "api", ClientIP: localhost}
	_, err = e.svc.Authenticate(ctx, c)
	require.NoError(b, err)
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.svc.Authenticate(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConcurrentEnrollments checks that parallel requests never overshoot the quota and
// never create two hosts for one machine_id.
func TestConcurrentEnrollments(t *testing.T) {
	t.Parallel()
	e := setupService(t)
	ctx := context.Background()
	ct := e.create(t, enrollment.TokenInput{Name: ptr("Busy"), MaxHostsPerDay: ptr(5)})
	tok, err := e.svc.Authenticate(ctx, enrollment.Credentials{Scheme: enrollment.SchemeEnrollment, Key: ct.Key, Secret: ct.Secret, ClientIP: localhost})
	require.NoError(t, err)

	const n = 12
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.svc.Enroll(ctx, tok, enrollment.HostRequest{FriendlyName: "h", MachineID: "m" + string(rune('a'+i))})
		}()
	}
	wg.Wait()
	ok, limited := 0, 0
	for _, err := range errs {
		var qe *enrollment.QuotaError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &qe):
			limited++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	assert.Equal(t, 5, ok)
	assert.Equal(t, n-5, limited)
	assert.Equal(t, 5, hostCount(t, e.pool))

	big := e.create(t, enrollment.TokenInput{Name: ptr("Same machine"), MaxHostsPerDay: ptr(100)})
	btok, err := e.svc.Authenticate(ctx, enrollment.Credentials{Scheme: enrollment.SchemeEnrollment, Key: big.Key, Secret: big.Secret, ClientIP: localhost})
	require.NoError(t, err)
	results := make([]enrollment.EnrolledHost, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.svc.Enroll(ctx, btok, enrollment.HostRequest{FriendlyName: "same", MachineID: "one-machine"})
		}()
	}
	wg.Wait()
	created := 0
	for i := range n {
		require.NoError(t, errs[i])
		if !results[i].Skipped {
			created++
		}
	}
	assert.Equal(t, 1, created, "one host per machine_id and token")
	assert.Equal(t, 6, hostCount(t, e.pool), "losers of the race leave nothing behind")
	for i := range n {
		assert.Equal(t, results[0].ID, results[i].ID)
	}
	info, err := e.svc.GetToken(ctx, big.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, info.HostsCreatedToday, "skipped requests give their quota back")
}
