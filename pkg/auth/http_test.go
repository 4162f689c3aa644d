package auth_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/auth/authtest"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// browser is an HTTP client with a cookie jar that does not follow redirects.
type browser struct {
	t      *testing.T
	c      *http.Client
	base   string
	origin string // sent as Origin on every request when set
	bearer string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type reply struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

func (b *browser) do(method, path string, body any) reply {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		require.NoError(b.t, err)
		rd = bytes.NewReader(buf)
	}
	url := path
	if path[0] == '/' {
		url = b.base + path
	}
	req, err := http.NewRequestWithContext(b.t.Context(), method, url, rd)
	require.NoError(b.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if b.origin != "" {
		req.Header.Set("Origin", b.origin)
	}
	if b.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+b.bearer)
	}
	res, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(b.t, err)
	r := reply{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &r.Body)
	return r
}

func (b *browser) cookie(name string) *http.Cookie {
	req, _ := http.NewRequest("GET", b.base+"/api/v1/auth/refresh", nil)
	for _, c := range b.c.Jar.Cookies(req.URL) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func newServer(t *testing.T, tweak func(*patchmon.Config)) *patchmontest.Server {
	cfg := patchmon.DefaultConfig()
	cfg.NodeEnv = "development"
	cfg.AuthRateLimitMax = 10_000
	cfg.PasswordHashCost = 4
	if tweak != nil {
		tweak(&cfg)
	}
	return patchmontest.NewServer(t, cfg)
}

var admin = map[string]any{"username": "root-admin", "email": "root@example.com", "firstName": "Ada", "lastName": "Min", "password": testPassword}

func TestFirstTimeSetupOnlyOnce(t *testing.T) {
	t.Parallel()
	srv := newServer(t, nil)
	b := newBrowser(t, srv.URL)

	r := b.do("GET", "/api/v1/auth/check-admin-users", nil)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, true, r.Body["setupRequired"])
	assert.Equal(t, false, r.Body["hasAdminUsers"])

	// The password policy, with a message that names the field and every broken rule.
	weak := map[string]any{"username": "root-admin", "email": "root@example.com", "password": "abc"}
	r = b.do("POST", "/api/v1/auth/setup-admin", weak)
	require.Equal(t, 400, r.Status, r.Raw)
	assert.Equal(t, "password", r.Body["field"])
	assert.Equal(t, users.CodePasswordPolicy, r.Body["code"])
	assert.Equal(t, "Password must be at least 8 characters long, contain an uppercase letter, contain a number and contain a special character", r.Body["error"])
	r = b.do("POST", "/api/v1/auth/setup-admin", map[string]any{"username": "root-admin", "email": "not-an-email", "password": testPassword})
	require.Equal(t, 400, r.Status, r.Raw)
	assert.Equal(t, "email", r.Body["field"], r.Raw)

	r = b.do("POST", "/api/v1/auth/setup-admin", admin)
	require.Equal(t, 201, r.Status, r.Raw)
	user := r.Body["user"].(map[string]any)
	assert.Equal(t, users.RoleSuperAdmin, user["role"])
	assert.Contains(t, r.Body["permissions"], users.PermManageSuperusers)
	access := b.cookie(auth_CookieAccess)
	require.NotNil(t, access, "signed in with a cookie")
	assert.Contains(t, r.Header.Values("Set-Cookie")[0], "HttpOnly")
	assert.Contains(t, r.Header.Values("Set-Cookie")[0], "SameSite=Lax")
	assert.NotContains(t, r.Header.Values("Set-Cookie")[0], "Secure", "plain HTTP")

	r = b.do("POST", "/api/v1/auth/setup-admin", map[string]any{"username": "second", "email": "second@example.com", "password": testPassword})
	require.Equal(t, 409, r.Status)
	assert.Equal(t, users.CodeSetupDone, r.Body["code"])
	r = b.do("GET", "/api/v1/auth/check-admin-users", nil)
	assert.Equal(t, false, r.Body["setupRequired"])
}

const auth_CookieAccess = "token"

func TestCookieSessionCSRFAndBearer(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(c *patchmon.Config) { c.CORSOrigins = []string{"https://dash.example.com"} })
	b := newBrowser(t, srv.URL)
	require.Equal(t, 201, b.do("POST", "/api/v1/auth/setup-admin", admin).Status)

	// Reads with the cookie need no Origin.
	r := b.do("GET", "/api/v1/auth/profile", nil)
	require.Equal(t, 200, r.Status, r.Raw)

	// Writes with the cookie need an Origin of this server or of the CORS allow-list.
	update := map[string]any{"firstName": "Grace"}
	r = b.do("PUT", "/api/v1/auth/profile", update)
	require.Equal(t, 403, r.Status)
	assert.Equal(t, users.CodeCSRF, r.Body["code"])
	b.origin = "https://evil.example.com"
	assert.Equal(t, 403, b.do("PUT", "/api/v1/auth/profile", update).Status)
	b.origin = srv.URL
	require.Equal(t, 200, b.do("PUT", "/api/v1/auth/profile", update).Status)
	b.origin = "https://dash.example.com"
	require.Equal(t, 200, b.do("PUT", "/api/v1/auth/profile", update).Status)

	// Bearer requests are not exposed to CSRF and need no Origin.
	login := newBrowser(t, srv.URL).do("POST", "/api/v1/auth/login", map[string]any{"username": "root@example.com", "password": testPassword})
	require.Equal(t, 200, login.Status, login.Raw)
	require.Equal(t, false, login.Body["requiresTfa"])
	api := newBrowser(t, srv.URL)
	api.bearer = login.Body["token"].(string)
	r = api.do("PUT", "/api/v1/auth/profile", map[string]any{"themePreference": "dark"})
	require.Equal(t, 200, r.Status, r.Raw)
	assert.Equal(t, "dark", r.Body["user"].(map[string]any)["themePreference"])

	// Refresh and logout by cookie follow the same Origin rule.
	b.origin = ""
	assert.Equal(t, 403, b.do("POST", "/api/v1/auth/refresh", nil).Status)
	b.origin = srv.URL
	r = b.do("POST", "/api/v1/auth/refresh", nil)
	require.Equal(t, 200, r.Status, r.Raw)
	r = b.do("POST", "/api/v1/auth/logout", nil)
	require.Equal(t, 200, r.Status)
	assert.Nil(t, b.cookie(auth_CookieAccess), "cookies cleared")
	r = b.do("GET", "/api/v1/auth/profile", nil)
	assert.Equal(t, 401, r.Status)

	// The API client's session is separate; logout-all ends it too.
	require.Equal(t, 200, api.do("POST", "/api/v1/auth/logout-all", nil).Status)
	r = api.do("GET", "/api/v1/auth/profile", nil)
	assert.Equal(t, 401, r.Status)
	assert.Equal(t, users.CodeSessionExpired, r.Body["code"])
}

func TestSignupIsOffUntilEnabled(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(c *patchmon.Config) { c.DefaultUserRole = "viewer" })
	root := authtest.Setup(t, srv.URL)
	b := newBrowser(t, srv.URL)
	r := b.do("GET", "/api/v1/auth/signup-enabled", nil)
	assert.Equal(t, false, r.Body["enabled"])
	newbie := map[string]any{"username": "newbie", "email": "newbie@example.com", "password": testPassword}
	r = b.do("POST", "/api/v1/auth/signup", newbie)
	require.Equal(t, 403, r.Status)
	assert.Equal(t, users.CodeSignupDisabled, r.Body["code"])

	a := newBrowser(t, srv.URL)
	a.bearer = root.Token
	r = a.do("PUT", "/api/v1/auth/settings", map[string]any{"signupEnabled": true})
	require.Equal(t, 200, r.Status, r.Raw)
	assert.Equal(t, true, b.do("GET", "/api/v1/auth/signup-enabled", nil).Body["enabled"])
	r = b.do("POST", "/api/v1/auth/signup", newbie)
	require.Equal(t, 201, r.Status, r.Raw)
	assert.Equal(t, users.RoleReadonly, r.Body["user"].(map[string]any)["role"], "DEFAULT_USER_ROLE (viewer means readonly)")
	r = b.do("POST", "/api/v1/auth/signup", newbie)
	assert.Equal(t, 409, r.Status)
	assert.Equal(t, "username", r.Body["field"])
}

func TestUserAdministration(t *testing.T) {
	t.Parallel()
	srv := newServer(t, nil)
	root := authtest.Setup(t, srv.URL)
	adm := authtest.CreateUser(t, srv.URL, root, users.RoleAdmin)
	a := newBrowser(t, srv.URL)
	a.bearer = adm.Token

	r := a.do("POST", "/api/v1/auth/admin/users", map[string]any{"username": "op1", "email": "op1@example.com", "password": testPassword, "role": "host_manager"})
	require.Equal(t, 201, r.Status, r.Raw)
	id := r.Body["id"].(string)
	r = a.do("POST", "/api/v1/auth/admin/users", map[string]any{"username": "op2", "email": "OP1@example.com", "password": testPassword})
	require.Equal(t, 409, r.Status)
	assert.Equal(t, "email", r.Body["field"])
	r = a.do("POST", "/api/v1/auth/admin/users", map[string]any{"username": "op3", "email": "op3@example.com", "password": testPassword, "role": "wizard"})
	require.Equal(t, 400, r.Status)
	assert.Equal(t, users.CodeUnknownRole, r.Body["code"])

	// Admins cannot make or touch super admins; only can_manage_superusers can.
	r = a.do("POST", "/api/v1/auth/admin/users", map[string]any{"username": "boss", "email": "boss@example.com", "password": testPassword, "role": "superadmin"})
	require.Equal(t, 403, r.Status)
	r = a.do("PUT", "/api/v1/auth/admin/users/"+root.UserID.String(), map[string]any{"firstName": "X"})
	require.Equal(t, 403, r.Status)
	r = a.do("PUT", "/api/v1/auth/admin/users/"+id, map[string]any{"role": "readonly", "lastName": "Ops"})
	require.Equal(t, 200, r.Status, r.Raw)
	assert.Equal(t, "readonly", r.Body["role"])

	// Lock the user out, then unlock.
	for range 5 {
		newBrowser(t, srv.URL).do("POST", "/api/v1/auth/login", map[string]any{"username": "op1", "password": "nope"})
	}
	r = newBrowser(t, srv.URL).do("POST", "/api/v1/auth/login", map[string]any{"username": "op1", "password": testPassword})
	require.Equal(t, 423, r.Status)
	assert.Equal(t, true, a.do("GET", "/api/v1/auth/admin/users/"+id, nil).Body["locked"])
	require.Equal(t, 200, a.do("POST", "/api/v1/auth/admin/users/"+id+"/unlock", nil).Status)
	op := authtest.Login(t, srv.URL, "op1", testPassword)

	// Reset password signs the user out everywhere.
	r = a.do("POST", "/api/v1/auth/admin/users/"+id+"/reset-password", map[string]any{"newPassword": "weak"})
	require.Equal(t, 400, r.Status)
	assert.Equal(t, "newPassword", r.Body["field"])
	require.Equal(t, 200, a.do("POST", "/api/v1/auth/admin/users/"+id+"/reset-password", map[string]any{"newPassword": "Fresh-Passw0rd"}).Status)
	assert.Equal(t, 401, authtest.Call(t, "GET", srv.URL+"/api/v1/auth/profile", op.Header(), nil, nil))
	authtest.Login(t, srv.URL, "op1", "Fresh-Passw0rd")

	// The last super admin stays; nobody deletes themselves.
	s := newBrowser(t, srv.URL)
	s.bearer = root.Token
	r = s.do("PUT", "/api/v1/auth/admin/users/"+root.UserID.String(), map[string]any{"role": "admin"})
	require.Equal(t, 409, r.Status)
	assert.Equal(t, users.CodeLastSuperAdmin, r.Body["code"])
	require.Equal(t, 409, s.do("DELETE", "/api/v1/auth/admin/users/"+root.UserID.String(), nil).Status)
	require.Equal(t, 200, a.do("DELETE", "/api/v1/auth/admin/users/"+id, nil).Status)
	require.Equal(t, 404, a.do("GET", "/api/v1/auth/admin/users/"+id, nil).Status)

	r = a.do("GET", "/api/v1/audit-log?event=user.&limit=100", nil)
	require.Equal(t, 200, r.Status, r.Raw)
	var events []string
	for _, e := range r.Body["events"].([]any) {
		events = append(events, e.(map[string]any)["event"].(string))
	}
	assert.Subset(t, events, []string{users.EventUserCreated, users.EventUserUpdated, users.EventUserRoleChanged,
		users.EventUserUnlocked, users.EventUserPasswordReset, users.EventUserDeleted})
	r = a.do("GET", "/api/v1/audit-log?event=auth.login.locked", nil)
	require.Equal(t, float64(1), r.Body["total"])
	ev := r.Body["events"].([]any)[0].(map[string]any)
	assert.Equal(t, "op1", ev["actorUsername"])
	assert.Equal(t, "127.0.0.1", ev["ipAddress"])
}

func TestTwoFactorOverHTTP(t *testing.T) {
	t.Parallel()
	srv := newServer(t, nil)
	b := newBrowser(t, srv.URL)
	b.origin = srv.URL
	require.Equal(t, 201, b.do("POST", "/api/v1/auth/setup-admin", admin).Status)
	r := b.do("POST", "/api/v1/tfa/setup", nil)
	require.Equal(t, 200, r.Status, r.Raw)
	secret := r.Body["secret"].(string)
	r = b.do("POST", "/api/v1/tfa/verify-setup", map[string]any{"code": codeAtNow(t, secret, 0)})
	require.Equal(t, 200, r.Status, r.Raw)
	require.Len(t, r.Body["backupCodes"], 10)

	fresh := newBrowser(t, srv.URL)
	r = fresh.do("POST", "/api/v1/auth/login", map[string]any{"username": "root-admin", "password": testPassword})
	require.Equal(t, 200, r.Status)
	require.Equal(t, true, r.Body["requiresTfa"])
	assert.Nil(t, r.Body["token"])
	assert.Nil(t, fresh.cookie(auth_CookieAccess))
	ch := r.Body["tfaChallenge"].(string)
	r = fresh.do("POST", "/api/v1/auth/verify-tfa", map[string]any{"tfaChallenge": ch, "code": "000000"})
	require.Equal(t, 401, r.Status)
	r = fresh.do("POST", "/api/v1/auth/verify-tfa", map[string]any{"tfaChallenge": ch, "code": codeAtNow(t, secret, 30), "rememberDevice": true})
	require.Equal(t, 200, r.Status, r.Raw)
	require.NotNil(t, fresh.cookie(auth_CookieAccess))
	require.NotNil(t, fresh.cookie("tfa_device"))

	// The trusted device skips the second factor next time.
	r = fresh.do("POST", "/api/v1/auth/login", map[string]any{"username": "root-admin", "password": testPassword})
	require.Equal(t, 200, r.Status)
	assert.Equal(t, false, r.Body["requiresTfa"])
	r = fresh.do("GET", "/api/v1/tfa/trusted-devices", nil)
	require.Len(t, r.Body["devices"], 1)
	assert.Equal(t, true, r.Body["devices"].([]any)[0].(map[string]any)["current"])
	r = fresh.do("GET", "/api/v1/tfa/status", nil)
	assert.Equal(t, true, r.Body["enabled"])
	assert.Equal(t, float64(1), r.Body["trustedDevices"])

	// An administrator can turn a user's 2FA off (lost phone and codes); only a super admin
	// may do that to a super admin.
	me := profileOf(t, fresh)
	adm := newBrowser(t, srv.URL)
	adm.origin = srv.URL
	adm.bearer = fresh.do("POST", "/api/v1/auth/login", map[string]any{"username": "root-admin", "password": testPassword}).Body["token"].(string)
	other := authtest.CreateUser(t, srv.URL, authtest.Session{Token: adm.bearer}, users.RoleAdmin)
	ob := newBrowser(t, srv.URL)
	ob.bearer = other.Token
	assert.Equal(t, 403, ob.do("DELETE", "/api/v1/auth/admin/users/"+me+"/tfa", nil).Status)
	require.Equal(t, 200, adm.do("DELETE", "/api/v1/auth/admin/users/"+me+"/tfa", nil).Status)
	r = newBrowser(t, srv.URL).do("POST", "/api/v1/auth/login", map[string]any{"username": "root-admin", "password": testPassword})
	assert.Equal(t, false, r.Body["requiresTfa"])
}

func profileOf(t *testing.T, b *browser) string {
	t.Helper()
	r := b.do("GET", "/api/v1/auth/profile", nil)
	require.Equal(t, 200, r.Status, r.Raw)
	return r.Body["user"].(map[string]any)["id"].(string)
}
