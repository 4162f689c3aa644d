package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/patchmon-go/patchmon/pkg/users"
)

// OIDCConfig is the OIDC_* configuration.
type OIDCConfig struct {
	// Enabled turns single sign-on on (OIDC_ENABLED). Default: false.
	Enabled bool
	// IssuerURL, ClientID, ClientSecret and RedirectURI identify this client at the
	// provider. IssuerURL, ClientID and RedirectURI are required when Enabled.
	IssuerURL, ClientID, ClientSecret, RedirectURI string
	// Scopes requested. Default: openid email profile groups.
	Scopes []string
	// AutoCreateUsers creates accounts for unknown users (OIDC_AUTO_CREATE_USERS).
	AutoCreateUsers bool
	// DefaultRole is given when no group maps to a role. Default: "user".
	DefaultRole string
	// DisableLocalAuth turns password sign-in off once OIDC has initialised.
	DisableLocalAuth bool
	// ButtonText labels the login page's button. Default: "Login with SSO".
	ButtonText string
	// Group names (matched case-insensitively) mapping to roles. Super admin needs both
	// AdminGroup and SuperAdminGroup. Empty names are ignored.
	AdminGroup, SuperAdminGroup, HostManagerGroup, UserGroup, ReadonlyGroup string
	// SyncRoles updates the role from the groups at every sign-in; otherwise the role is
	// only set when the account is created.
	SyncRoles bool
	// RequireHTTPS refuses the OIDC routes over plain HTTP (NODE_ENV=production).
	RequireHTTPS bool
	// HTTPClient talks to the provider. Default: a client with a 15 s timeout.
	HTTPClient *http.Client
}

func (c *OIDCConfig) validate() error {
	if !c.Enabled {
		return nil
	}
	if len(c.Scopes) == 0 {
		c.Scopes = []string{oidc.ScopeOpenID, "email", "profile", "groups"}
	}
	if c.DefaultRole == "" {
		c.DefaultRole = users.RoleUser
	}
	if c.ButtonText == "" {
		c.ButtonText = "Login with SSO"
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	return nil
}

func (c *OIDCConfig) hasGroupMapping() bool {
	return c.AdminGroup != "" || c.SuperAdminGroup != "" || c.HostManagerGroup != "" || c.UserGroup != "" || c.ReadonlyGroup != ""
}

// oidcClient is an initialised provider.
type oidcClient struct {
	issuer   string
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	provider *oidc.Provider
}

// oidcRetryInterval paces rediscovery after a failed start-up discovery.
const oidcRetryInterval = time.Minute

// InitOIDC discovers the provider when OIDC is enabled, logging as the upstream server
// does. A failure is logged and retried on later use (at most once a minute); it does
// not stop the server, but the SSO button stays hidden and local sign-in stays on.
func (s *Service) InitOIDC(ctx context.Context) {
	if !s.cfg.OIDC.Enabled {
		return
	}
	s.oidcMu.Lock()
	defer s.oidcMu.Unlock()
	s.initOIDCLocked(ctx)
}

func (s *Service) initOIDCLocked(ctx context.Context) *oidcClient {
	if c := s.oidc.Load(); c != nil {
		return c
	}
	c := s.cfg.OIDC
	s.oidcTried = s.now()
	if c.IssuerURL == "" || c.ClientID == "" || c.RedirectURI == "" {
		s.log.ErrorContext(ctx, "OIDC is enabled but missing required configuration (OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI)")
		return nil
	}
	s.log.InfoContext(ctx, "Discovering OIDC configuration from: "+c.IssuerURL)
	hctx := oidc.ClientContext(context.WithoutCancel(ctx), c.HTTPClient)
	dctx, cancel := context.WithTimeout(hctx, 15*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, c.IssuerURL)
	if err != nil {
		s.log.ErrorContext(ctx, "OIDC discovery failed; single sign-on is unavailable", "issuer", c.IssuerURL, "err", err)
		return nil
	}
	s.log.InfoContext(ctx, "OIDC Issuer discovered: "+c.IssuerURL)
	cl := &oidcClient{issuer: c.IssuerURL, provider: p,
		oauth: oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURI,
			Endpoint: p.Endpoint(), Scopes: c.Scopes},
		verifier: p.VerifierContext(hctx, &oidc.Config{ClientID: c.ClientID, Now: s.now}),
	}
	s.oidc.Store(cl)
	s.log.InfoContext(ctx, "OIDC client initialized successfully")
	return cl
}

// oidcClient returns the initialised client, retrying discovery when it failed before.
func (s *Service) oidcReady(ctx context.Context) *oidcClient {
	if c := s.oidc.Load(); c != nil || !s.cfg.OIDC.Enabled {
		return c
	}
	s.oidcMu.Lock()
	defer s.oidcMu.Unlock()
	if s.now().Sub(s.oidcTried) < oidcRetryInterval {
		return s.oidc.Load()
	}
	return s.initOIDCLocked(ctx)
}

// OIDCStatus is what the login page needs to know.
type OIDCStatus struct {
	Enabled          bool
	ButtonText       string
	DisableLocalAuth bool
}

// OIDCStatus reports whether the SSO button is shown (enabled and initialised).
func (s *Service) OIDCStatus(ctx context.Context) OIDCStatus {
	c := s.oidcReady(ctx)
	st := OIDCStatus{Enabled: c != nil, ButtonText: s.cfg.OIDC.ButtonText}
	if st.ButtonText == "" {
		st.ButtonText = "Login with SSO"
	}
	st.DisableLocalAuth = c != nil && s.cfg.OIDC.DisableLocalAuth
	return st
}

// OIDCFlowTTL is how long a user may take at the identity provider.
const OIDCFlowTTL = 10 * time.Minute

// oidcFlow is kept in a signed, httpOnly cookie between login and callback.
type oidcFlow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Issued   int64  `json:"t"`
}

const flowPurpose = "oidc-flow"

// BeginOIDC starts a sign-in: it returns the provider URL to redirect to and the value
// of the flow cookie (state, nonce and PKCE verifier).
func (s *Service) BeginOIDC(ctx context.Context) (redirectURL, cookie string, err error) {
	c := s.oidcReady(ctx)
	if c == nil {
		return "", "", ErrOIDCUnavailable
	}
	f := oidcFlow{State: randomToken(24), Nonce: randomToken(24), Verifier: oauth2.GenerateVerifier(), Issued: s.now().Unix()}
	b, _ := json.Marshal(f)
	u := c.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	return u, s.sign(flowPurpose, b), nil
}

// OIDCError is a failed callback; Code goes to the login page as ?error=.
type OIDCError struct {
	Code string
	Err  error
}

func (e *OIDCError) Error() string {
	if e.Err != nil {
		return "oidc: " + e.Code + ": " + e.Err.Error()
	}
	return "oidc: " + e.Code
}

func (e *OIDCError) Unwrap() error { return e.Err }

// OIDC callback failure codes.
const (
	OIDCSessionExpired   = "session_expired"
	OIDCInvalidState     = "invalid_state"
	OIDCProviderError    = "provider_error"
	OIDCEmailNotVerified = "email_not_verified"
	OIDCUserNotFound     = "user_not_found"
	OIDCAccountDisabled  = "account_disabled"
	OIDCAuthFailed       = "authentication_failed"
)

// CallbackParams are the query parameters the provider redirects back with.
type CallbackParams struct {
	Code, State, Error, ErrorDescription string
}

// oidcClaims is what PatchMon reads from the ID token (and userinfo).
type oidcClaims struct {
	Subject           string          `json:"sub"`
	Email             string          `json:"email"`
	EmailVerified     json.RawMessage `json:"email_verified"`
	PreferredUsername string          `json:"preferred_username"`
	GivenName         string          `json:"given_name"`
	FamilyName        string          `json:"family_name"`
	Name              string          `json:"name"`
	Picture           string          `json:"picture"`
	Groups            json.RawMessage `json:"groups"`
	AKGroups          json.RawMessage `json:"ak_groups"`
}

func (c oidcClaims) emailVerified() bool {
	var b bool
	if json.Unmarshal(c.EmailVerified, &b) == nil {
		return b
	}
	var s string
	return json.Unmarshal(c.EmailVerified, &s) == nil && strings.EqualFold(s, "true")
}

// groupList reads a groups claim that may be a list or a single string.
func groupList(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var one string
	if json.Unmarshal(raw, &one) == nil && one != "" {
		return strings.Split(one, ",")
	}
	return nil
}

func (c oidcClaims) groups() []string { return append(groupList(c.Groups), groupList(c.AKGroups)...) }

// MapGroupsToRole applies the documented hierarchy: super admin (admin and super-admin
// groups), admin, host manager, user, readonly, else the default role.
func (c OIDCConfig) MapGroupsToRole(groups []string) string {
	has := func(name string) bool {
		if name == "" {
			return false
		}
		for _, g := range groups {
			if strings.EqualFold(strings.TrimSpace(g), strings.TrimSpace(name)) {
				return true
			}
		}
		return false
	}
	switch {
	case has(c.AdminGroup) && has(c.SuperAdminGroup):
		return users.RoleSuperAdmin
	case has(c.AdminGroup):
		return users.RoleAdmin
	case has(c.HostManagerGroup):
		return users.RoleHostManager
	case has(c.UserGroup):
		return users.RoleUser
	case has(c.ReadonlyGroup):
		return users.RoleReadonly
	}
	if c.DefaultRole == "" {
		return users.RoleUser
	}
	return c.DefaultRole
}

// CompleteOIDC finishes a sign-in: it checks the flow cookie (present, untampered, at
// most OIDCFlowTTL old, state matching), exchanges the code with the PKCE verifier,
// verifies the ID token and its nonce, finds, links or creates the user and starts a
// session. Failures are *OIDCError.
func (s *Service) CompleteOIDC(ctx context.Context, cookie string, p CallbackParams) (*Tokens, error) {
	c := s.oidcReady(ctx)
	if c == nil {
		return nil, &OIDCError{Code: OIDCAuthFailed, Err: ErrOIDCUnavailable}
	}
	fail := func(code string, err error, details map[string]any) (*Tokens, error) {
		if details == nil {
			details = map[string]any{}
		}
		details["reason"] = code
		if err != nil {
			details["error"] = err.Error()
		}
		s.audit(ctx, users.AuditEntry{Event: users.EventOIDCLoginFailure, Details: details})
		return nil, &OIDCError{Code: code, Err: err}
	}
	if cookie == "" {
		return fail(OIDCSessionExpired, errors.New("no flow cookie"), nil)
	}
	raw, ok := s.verify(flowPurpose, cookie)
	var f oidcFlow
	if !ok || json.Unmarshal(raw, &f) != nil {
		return fail(OIDCInvalidState, errors.New("flow cookie is not valid"), nil)
	}
	if s.now().Sub(time.Unix(f.Issued, 0)) > OIDCFlowTTL {
		return fail(OIDCSessionExpired, errors.New("flow older than 10 minutes"), nil)
	}
	if p.Error != "" {
		return fail(OIDCProviderError, fmt.Errorf("%s: %s", p.Error, p.ErrorDescription), nil)
	}
	if p.State == "" || subtle.ConstantTimeCompare([]byte(p.State), []byte(f.State)) != 1 {
		return fail(OIDCInvalidState, errors.New("state does not match"), nil)
	}
	if p.Code == "" {
		return fail(OIDCAuthFailed, errors.New("no authorization code"), nil)
	}
	hctx := oidc.ClientContext(ctx, s.cfg.OIDC.HTTPClient)
	tok, err := c.oauth.Exchange(hctx, p.Code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return fail(OIDCAuthFailed, fmt.Errorf("code exchange: %w", err), nil)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return fail(OIDCAuthFailed, errors.New("no id_token in the token response"), nil)
	}
	idt, err := c.verifier.Verify(hctx, rawID)
	if err != nil {
		return fail(OIDCAuthFailed, fmt.Errorf("id token: %w", err), nil)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return fail(OIDCAuthFailed, errors.New("nonce does not match"), nil)
	}
	var claims oidcClaims
	if err := idt.Claims(&claims); err != nil {
		return fail(OIDCAuthFailed, fmt.Errorf("id token claims: %w", err), nil)
	}
	s.mergeUserinfo(hctx, c, tok, &claims)
	userID, code, err := s.resolveOIDCUser(ctx, c.issuer, claims)
	if code != "" || err != nil {
		if code == "" {
			return nil, err
		}
		return fail(code, err, map[string]any{"subject": claims.Subject, "email": claims.Email})
	}
	t, err := s.startSession(ctx, userID, "oidc")
	if err != nil {
		return nil, err
	}
	s.audit(ctx, users.AuditEntry{Event: users.EventOIDCLoginSuccess, Success: true, ActorID: t.User.ID, ActorUsername: t.User.Username,
		TargetType: "user", TargetID: t.User.ID.String(), TargetName: t.User.Username, Details: map[string]any{"role": t.User.Role}})
	return t, nil
}

// mergeUserinfo fills claims the ID token left out from the userinfo endpoint (some
// providers only put groups or email there). The ID token wins where both have a value.
func (s *Service) mergeUserinfo(ctx context.Context, c *oidcClient, tok *oauth2.Token, claims *oidcClaims) {
	if c.provider.UserInfoEndpoint() == "" || (claims.Email != "" && (len(claims.Groups) > 0 || len(claims.AKGroups) > 0)) {
		return
	}
	info, err := c.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		s.log.DebugContext(ctx, "OIDC userinfo unavailable", "err", err)
		return
	}
	var extra oidcClaims
	if info.Claims(&extra) != nil || (extra.Subject != "" && extra.Subject != claims.Subject) {
		return
	}
	if claims.Email == "" {
		claims.Email, claims.EmailVerified = extra.Email, extra.EmailVerified
	}
	if len(claims.Groups) == 0 {
		claims.Groups = extra.Groups
	}
	if len(claims.AKGroups) == 0 {
		claims.AKGroups = extra.AKGroups
	}
	for _, f := range []struct {
		dst *string
		v   string
	}{{&claims.GivenName, extra.GivenName},
		{&claims.FamilyName, extra.FamilyName}, {&claims.Picture, extra.Picture}, {&claims.PreferredUsername, extra.PreferredUsername}} {
		if *f.dst == "" {
			*f.dst = f.v
		}
	}
}

// resolveOIDCUser finds the account of an identity: by issuer and subject, else by
// email (linking only a verified email), else by creating one when allowed. It syncs
// names, email, avatar and (with SyncRoles) the role. A non-empty code is a refusal.
func (s *Service) resolveOIDCUser(ctx context.Context, issuer string, cl oidcClaims) (uuid.UUID, string, error) {
	cfg := s.cfg.OIDC
	if cl.Subject == "" {
		return uuid.Nil, OIDCAuthFailed, errors.New("no subject in the id token")
	}
	role := cfg.MapGroupsToRole(cl.groups())
	first, last := cl.GivenName, cl.FamilyName
	if first == "" && last == "" && cl.Name != "" {
		first, last, _ = strings.Cut(cl.Name, " ")
	}
	id, err := s.store.userByOIDC(ctx, issuer, cl.Subject)
	switch {
	case err == nil:
	case !errors.Is(err, errNoRows):
		return uuid.Nil, "", err
	case cl.Email == "":
		return uuid.Nil, OIDCAuthFailed, errors.New("the identity provider sent no email address")
	default:
		var linked bool
		id, linked, err = s.store.userByEmail(ctx, cl.Email)
		switch {
		case err == nil && linked:
			// The address belongs to an account linked to another identity.
			return uuid.Nil, OIDCEmailNotVerified, errors.New("email belongs to an account linked to another identity")
		case err == nil && !cl.emailVerified():
			return uuid.Nil, OIDCEmailNotVerified, errors.New("the identity provider has not verified the email address")
		case err == nil:
			if err := s.store.linkOIDC(ctx, id, issuer, cl.Subject, s.now()); err != nil {
				return uuid.Nil, "", err
			}
			s.audit(ctx, users.AuditEntry{Event: users.EventOIDCUserLinked, Success: true, ActorID: id, TargetType: "user",
				TargetID: id.String(), TargetName: cl.Email, Details: map[string]any{"issuer": issuer, "subject": cl.Subject}})
		case !errors.Is(err, errNoRows):
			return uuid.Nil, "", err
		case !cfg.AutoCreateUsers:
			return uuid.Nil, OIDCUserNotFound, errors.New("no account for this user and OIDC_AUTO_CREATE_USERS is off")
		default:
			base, _, _ := strings.Cut(cl.Email, "@")
			name, err := s.users.UniqueUsername(ctx, base)
			if err != nil {
				return uuid.Nil, "", err
			}
			u, err := s.users.CreateUser(ctx, users.NewUser{Username: name, Email: cl.Email, FirstName: first, LastName: last,
				NoPassword: true, Role: role, AvatarURL: cl.Picture, OIDCIssuer: issuer, OIDCSubject: cl.Subject}, users.EventOIDCUserCreated)
			if err != nil {
				return uuid.Nil, "", err
			}
			return u.ID, s.checkActive(u), nil
		}
	}
	patch := users.UserPatch{}
	if first != "" || last != "" {
		patch.FirstName, patch.LastName = &first, &last
	}
	if cl.Picture != "" {
		patch.AvatarURL = &cl.Picture
	}
	if cl.Email != "" {
		patch.Email = &cl.Email
	}
	if cfg.SyncRoles && cfg.hasGroupMapping() {
		patch.Role = &role
	}
	u, err := s.users.SyncExternal(ctx, id, patch)
	if err != nil {
		return uuid.Nil, "", err
	}
	return u.ID, s.checkActive(u), nil
}

func (s *Service) checkActive(u users.User) string {
	if !u.IsActive {
		return OIDCAccountDisabled
	}
	return ""
}
