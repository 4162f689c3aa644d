package auth_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/auth"
	"github.com/patchmon-go/patchmon/pkg/auth/authtest"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// idpUser is a user of the mock identity provider with the claims PatchMon reads.
type idpUser struct {
	Sub, Email             string
	Verified               bool
	Given, Family, Picture string
	Groups, AKGroups       []string
}

func (u idpUser) claims() map[string]any {
	m := map[string]any{"sub": u.Sub, "email": u.Email, "email_verified": u.Verified, "given_name": u.Given,
		"family_name": u.Family, "picture": u.Picture}
	if u.Groups != nil {
		m["groups"] = u.Groups
	}
	if u.AKGroups != nil {
		m["ak_groups"] = u.AKGroups
	}
	return m
}

func (u idpUser) ID() string { return u.Sub }

func (u idpUser) Userinfo([]string) ([]byte, error) { return json.Marshal(u.claims()) }

func (u idpUser) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	b, err := json.Marshal(base)
	if err != nil {
		return nil, err
	}
	out := jwt.MapClaims{}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	for k, v := range u.claims() {
		out[k] = v
	}
	return out, nil
}

func startIdP(t *testing.T) *mockoidc.MockOIDC {
	m, err := mockoidc.Run()
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Shutdown() })
	return m
}

func oidcServer(t *testing.T, m *mockoidc.MockOIDC, tweak func(*patchmon.Config)) *patchmontest.Server {
	return newServer(t, func(c *patchmon.Config) {
		c.OIDCEnabled = true
		c.OIDCIssuerURL = m.Issuer()
		c.OIDCClientID, c.OIDCClientSecret = m.ClientID, m.ClientSecret
		c.OIDCRedirectURI = "http://patchmon.test/api/v1/auth/oidc/callback"
		c.OIDCButtonText = "Sign in with Mock"
		c.OIDCAdminGroup, c.OIDCSuperAdminGroup = "PatchMon Admins", "PatchMon SuperAdmins"
		c.OIDCHostManagerGroup, c.OIDCReadonlyGroup = "PatchMon Host Managers", "PatchMon Readonly"
		if tweak != nil {
			tweak(c)
		}
	})
}

// ssoLogin walks a browser through the whole flow and returns the callback's answer.
func ssoLogin(t *testing.T, b *browser, m *mockoidc.MockOIDC, u idpUser) reply {
	t.Helper()
	m.QueueUser(u)
	r := b.do("GET", "/api/v1/auth/oidc/login", nil)
	require.Equal(t, http.StatusFound, r.Status, r.Raw)
	to, err := url.Parse(r.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "S256", to.Query().Get("code_challenge_method"))
	require.NotEmpty(t, to.Query().Get("nonce"))
	r = b.do("GET", to.String(), nil)
	require.Equal(t, http.StatusFound, r.Status, r.Raw)
	back, err := url.Parse(r.Header.Get("Location"))
	require.NoError(t, err)
	return b.do("GET", "/api/v1/auth/oidc/callback?"+back.RawQuery, nil)
}

func loginError(r reply) string {
	u, _ := url.Parse(r.Header.Get("Location"))
	if u == nil || u.Path != "/login" {
		return ""
	}
	return u.Query().Get("error")
}

func profile(t *testing.T, b *browser) map[string]any {
	t.Helper()
	r := b.do("GET", "/api/v1/auth/profile", nil)
	require.Equal(t, 200, r.Status, r.Raw)
	return r.Body["user"].(map[string]any)
}

func TestOIDCAutoCreateAndGroupMapping(t *testing.T) {
	t.Parallel()
	m := startIdP(t)
	srv := oidcServer(t, m, nil)
	root := authtest.Setup(t, srv.URL)
	require.Equal(t, 201, authtest.Call(t, "POST", srv.URL+"/api/v1/auth/admin/users", root.Header(),
		map[string]any{"username": "taken", "email": "taken@example.com", "password": authtest.Password}, nil))

	r := newBrowser(t, srv.URL).do("GET", "/api/v1/auth/oidc/config", nil)
	assert.Equal(t, map[string]any{"enabled": true, "buttonText": "Sign in with Mock", "disableLocalAuth": false}, r.Body)

	for _, tc := range []struct {
		user     idpUser
		username string
		role     string
	}{
		{idpUser{Sub: "s1", Email: "john.doe@example.com", Verified: true, Given: "John", Family: "Doe",
			Picture: "https://img.example.com/j.png", Groups: []string{"patchmon admins"}}, "john.doe", users.RoleAdmin},
		{idpUser{Sub: "s2", Email: "sue@example.com", Verified: true, AKGroups: []string{"PatchMon Admins", "PATCHMON SUPERADMINS"}}, "sue", users.RoleSuperAdmin},
		{idpUser{Sub: "s3", Email: "sam@example.com", Verified: true, Groups: []string{"PatchMon SuperAdmins"}}, "sam", users.RoleUser},
		{idpUser{Sub: "s4", Email: "hank@example.com", Groups: []string{"PatchMon Host Managers", "PatchMon Readonly"}}, "hank", users.RoleHostManager},
		{idpUser{Sub: "s5", Email: "taken@other.example.com", Verified: true, Groups: []string{"PatchMon Readonly"}}, "taken2", users.RoleReadonly},
	} {
		b := newBrowser(t, srv.URL)
		r := ssoLogin(t, b, m, tc.user)
		require.Equal(t, "/", r.Header.Get("Location"), "signed in: %s", loginError(r))
		u := profile(t, b)
		assert.Equal(t, tc.role, u["role"], tc.user.Email)
		assert.Equal(t, tc.user.Email, u["email"])
		assert.Equal(t, true, u["oidcLinked"])
		assert.Equal(t, false, u["hasPassword"])
		assert.Equal(t, tc.username, u["username"], "username from the email prefix, with a suffix when taken")
		if tc.user.Given != "" {
			assert.Equal(t, "John", u["firstName"])
			assert.Equal(t, "Doe", u["lastName"])
			assert.Equal(t, tc.user.Picture, u["avatarUrl"])
		}
	}
}

func TestOIDCLinksOnlyVerifiedEmails(t *testing.T) {
	t.Parallel()
	m := startIdP(t)
	srv := oidcServer(t, m, nil)
	root := authtest.Setup(t, srv.URL)
	carl := authtest.CreateUser(t, srv.URL, root, users.RoleHostManager)

	// Unverified: refused, nothing linked, the attempt is audited.
	b := newBrowser(t, srv.URL)
	r := ssoLogin(t, b, m, idpUser{Sub: "x-carl", Email: strings.ToUpper(carl.Email), Verified: false})
	assert.Equal(t, auth.OIDCEmailNotVerified, loginError(r))
	assert.Nil(t, b.cookie(auth_CookieAccess))
	var failures struct {
		Total int `json:"total"`
	}
	require.Equal(t, 200, authtest.Call(t, "GET", srv.URL+"/api/v1/audit-log?event=oidc.login.failure", root.Header(), nil, &failures))
	assert.Equal(t, 1, failures.Total)

	// Verified: linked to the existing account, which keeps its name and password.
	r = ssoLogin(t, b, m, idpUser{Sub: "x-carl", Email: carl.Email, Verified: true, Given: "Carl"})
	require.Equal(t, "/", r.Header.Get("Location"), loginError(r))
	u := profile(t, b)
	assert.Equal(t, carl.Username, u["username"])
	assert.Equal(t, users.RoleUser, u["role"], "roles sync: in no mapped group means OIDC_DEFAULT_ROLE")
	assert.Equal(t, true, u["oidcLinked"])
	assert.Equal(t, true, u["hasPassword"])
	authtest.Login(t, srv.URL, carl.Username, authtest.Password)

	// The account is bound to that identity now: another subject with the email is refused.
	r = ssoLogin(t, newBrowser(t, srv.URL), m, idpUser{Sub: "impostor", Email: carl.Email, Verified: true})
	assert.Equal(t, auth.OIDCEmailNotVerified, loginError(r))
}

func TestOIDCRoleSync(t *testing.T) {
	t.Parallel()
	m := startIdP(t)
	for _, sync := range []bool{true, false} {
		srv := oidcServer(t, m, func(c *patchmon.Config) { c.OIDCSyncRoles = sync })
		authtest.Setup(t, srv.URL)
		b := newBrowser(t, srv.URL)
		u := idpUser{Sub: "dora", Email: "dora@example.com", Verified: true, Groups: []string{"PatchMon Admins"}}
		require.Equal(t, "/", ssoLogin(t, b, m, u).Header.Get("Location"))
		assert.Equal(t, users.RoleAdmin, profile(t, b)["role"])
		u.Groups, u.Given = []string{"PatchMon Readonly"}, "Dora"
		require.Equal(t, "/", ssoLogin(t, b, m, u).Header.Get("Location"))
		p := profile(t, b)
		assert.Equal(t, "Dora", p["firstName"], "names sync either way")
		if sync {
			assert.Equal(t, users.RoleReadonly, p["role"], "OIDC_SYNC_ROLES=true follows the groups")
		} else {
			assert.Equal(t, users.RoleAdmin, p["role"], "OIDC_SYNC_ROLES=false keeps the first role")
		}
	}
}

func TestOIDCRefusals(t *testing.T) {
	t.Parallel()
	m := startIdP(t)
	srv := oidcServer(t, m, func(c *patchmon.Config) { c.OIDCAutoCreateUsers = false })

	// No flow cookie (the browser dropped it after 10 minutes): session expired.
	b := newBrowser(t, srv.URL)
	r := b.do("GET", "/api/v1/auth/oidc/callback?code=abc&state=def", nil)
	assert.Equal(t, auth.OIDCSessionExpired, loginError(r))

	// A state that is not the one in the cookie.
	m.QueueUser(idpUser{Sub: "z", Email: "z@example.com", Verified: true})
	r = b.do("GET", "/api/v1/auth/oidc/login", nil)
	require.Equal(t, http.StatusFound, r.Status)
	r = b.do("GET", r.Header.Get("Location"), nil)
	back, _ := url.Parse(r.Header.Get("Location"))
	q := back.Query()
	q.Set("state", "forged")
	r = b.do("GET", "/api/v1/auth/oidc/callback?"+q.Encode(), nil)
	assert.Equal(t, auth.OIDCInvalidState, loginError(r))

	// The provider reports an error.
	r = b.do("GET", "/api/v1/auth/oidc/login", nil)
	r = b.do("GET", "/api/v1/auth/oidc/callback?error=access_denied&state=x", nil)
	assert.Equal(t, auth.OIDCProviderError, loginError(r))

	// Unknown users are not created when auto-create is off.
	r = ssoLogin(t, newBrowser(t, srv.URL), m, idpUser{Sub: "new", Email: "new@example.com", Verified: true})
	assert.Equal(t, auth.OIDCUserNotFound, loginError(r))
}

func TestOIDCFlowExpiresAfterTenMinutes(t *testing.T) {
	t.Parallel()
	m := startIdP(t)
	e := setup(t, auth.Config{OIDC: auth.OIDCConfig{Enabled: true, IssuerURL: m.Issuer(), ClientID: m.ClientID,
		ClientSecret: m.ClientSecret, RedirectURI: "http://patchmon.test/cb", AutoCreateUsers: true}})
	e.svc.InitOIDC(e.ctx)
	to, cookie, err := e.svc.BeginOIDC(e.ctx)
	require.NoError(t, err)
	u, err := url.Parse(to)
	require.NoError(t, err)
	state := u.Query().Get("state")

	e.clock.Advance(auth.OIDCFlowTTL + time.Second)
	_, err = e.svc.CompleteOIDC(e.ctx, cookie, auth.CallbackParams{Code: "whatever", State: state})
	var oe *auth.OIDCError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, auth.OIDCSessionExpired, oe.Code)

	// A tampered cookie is not a valid flow.
	_, err = e.svc.CompleteOIDC(e.ctx, cookie+"x", auth.CallbackParams{Code: "whatever", State: state})
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, auth.OIDCInvalidState, oe.Code)
}

func TestOIDCRequiresHTTPSInProduction(t *testing.T) {
	t.Parallel()
	m := startIdP(t)
	srv := oidcServer(t, m, func(c *patchmon.Config) { c.NodeEnv = "production" })
	b := newBrowser(t, srv.URL)
	r := b.do("GET", "/api/v1/auth/oidc/login", nil)
	require.Equal(t, 403, r.Status)
	assert.Equal(t, users.CodeOIDCHTTPS, r.Body["code"])

	// Behind a TLS-terminating proxy (TRUST_PROXY=true) the request is secure.
	req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/api/v1/auth/oidc/login", nil)
	require.NoError(t, err)
	req.Header.Set("X-Forwarded-Proto", "https")
	res, err := b.c.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusFound, res.StatusCode)
	ck := res.Header.Get("Set-Cookie")
	assert.Contains(t, ck, auth.CookieOIDC+"=")
	assert.Contains(t, ck, "Secure")
	assert.Contains(t, ck, "HttpOnly")
	assert.Contains(t, ck, "Max-Age=600")
}

func TestOIDCDisableLocalAuth(t *testing.T) {
	t.Parallel()
	m := startIdP(t)
	srv := oidcServer(t, m, func(c *patchmon.Config) { c.OIDCDisableLocalAuth = true })
	root := authtest.Setup(t, srv.URL)
	b := newBrowser(t, srv.URL)
	assert.Equal(t, true, b.do("GET", "/api/v1/auth/oidc/config", nil).Body["disableLocalAuth"])
	r := b.do("POST", "/api/v1/auth/login", map[string]any{"username": root.Username, "password": authtest.Password})
	require.Equal(t, 403, r.Status)
	assert.Equal(t, users.CodeLocalAuthDisabled, r.Body["code"])

	// With a provider that cannot be reached, OIDC never initialises and passwords keep working.
	broken := newServer(t, func(c *patchmon.Config) {
		c.OIDCEnabled, c.OIDCDisableLocalAuth = true, true
		c.OIDCIssuerURL, c.OIDCClientID, c.OIDCRedirectURI = "http://127.0.0.1:1/none", "x", "http://patchmon.test/cb"
	})
	root2 := authtest.Setup(t, broken.URL)
	authtest.Login(t, broken.URL, root2.Username, authtest.Password)
	r = newBrowser(t, broken.URL).do("GET", "/api/v1/auth/oidc/config", nil)
	assert.Equal(t, false, r.Body["enabled"])
	assert.Equal(t, false, r.Body["disableLocalAuth"])
}

func TestMapGroupsToRole(t *testing.T) {
	t.Parallel()
	c := auth.OIDCConfig{AdminGroup: "Admins", SuperAdminGroup: "Supers", HostManagerGroup: "Hosts", UserGroup: "Users",
		ReadonlyGroup: "Viewers", DefaultRole: "readonly"}
	for _, tc := range []struct {
		groups []string
		want   string
	}{
		{[]string{"admins", "SUPERS"}, users.RoleSuperAdmin},
		{[]string{"Supers"}, users.RoleReadonly},
		{[]string{"Admins", "Users"}, users.RoleAdmin},
		{[]string{"Users", "Hosts"}, users.RoleHostManager},
		{[]string{" users "}, users.RoleUser},
		{[]string{"Viewers"}, users.RoleReadonly},
		{[]string{"Other"}, "readonly"},
		{nil, "readonly"},
	} {
		assert.Equal(t, tc.want, c.MapGroupsToRole(tc.groups), "%v", tc.groups)
	}
	assert.Equal(t, users.RoleUser, auth.OIDCConfig{}.MapGroupsToRole([]string{"Admins"}), "unset groups are ignored")
}
