package auth

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// Handlers serves sign-in, sessions, profile, 2FA and single sign-on. Embed it in the server's
// API type; each method implements the generated operation of the same name.
type Handlers struct {
	svc ServiceFunc
}

// NewHandlers returns the handlers; service returns the Service once the server has started.
func NewHandlers(service ServiceFunc) *Handlers { return &Handlers{svc: service} }

// cookieResponse writes a JSON body with cookies; it implements the generated response
// interfaces of every operation that signs in or out.
type cookieResponse struct {
	status  int
	cookies []*http.Cookie
	body    any
}

func (c cookieResponse) visit(w http.ResponseWriter) error {
	for _, ck := range c.cookies {
		http.SetCookie(w, ck)
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteJSON(w, c.status, c.body)
	return nil
}

func (c cookieResponse) VisitAuthSetupAdminResponse(w http.ResponseWriter) error { return c.visit(w) }
func (c cookieResponse) VisitAuthSignupResponse(w http.ResponseWriter) error     { return c.visit(w) }
func (c cookieResponse) VisitAuthLoginResponse(w http.ResponseWriter) error      { return c.visit(w) }
func (c cookieResponse) VisitAuthVerifyTfaResponse(w http.ResponseWriter) error  { return c.visit(w) }
func (c cookieResponse) VisitAuthRefreshResponse(w http.ResponseWriter) error    { return c.visit(w) }
func (c cookieResponse) VisitAuthLogoutResponse(w http.ResponseWriter) error     { return c.visit(w) }
func (c cookieResponse) VisitAuthLogoutAllResponse(w http.ResponseWriter) error  { return c.visit(w) }
func (c cookieResponse) VisitTfaDisableResponse(w http.ResponseWriter) error     { return c.visit(w) }

// redirectResponse is a 302 with cookies (the OIDC routes).
type redirectResponse struct {
	location string
	cookies  []*http.Cookie
}

func (c redirectResponse) visit(w http.ResponseWriter) error {
	for _, ck := range c.cookies {
		http.SetCookie(w, ck)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", c.location)
	w.WriteHeader(http.StatusFound)
	return nil
}

func (c redirectResponse) VisitAuthOidcLoginResponse(w http.ResponseWriter) error { return c.visit(w) }
func (c redirectResponse) VisitAuthOidcCallbackResponse(w http.ResponseWriter) error {
	return c.visit(w)
}

func newCookie(r *http.Request, name, value, path string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge, HttpOnly: true,
		Secure: httpx.IsSecureRequest(r), SameSite: http.SameSiteLaxMode}
}

func clearCookie(r *http.Request, name, path string) *http.Cookie {
	return newCookie(r, name, "", path, -1)
}

func seconds(d interface{ Seconds() float64 }) int { return int(d.Seconds()) }

// sessionCookies are the cookies of a signed-in browser: the access token for every
// path, the refresh token only for the auth endpoints.
func (s *Service) sessionCookies(r *http.Request, t *Tokens) []*http.Cookie {
	now := s.now()
	return []*http.Cookie{
		newCookie(r, CookieAccess, t.AccessToken, "/", seconds(t.AccessExpires.Sub(now))),
		newCookie(r, CookieRefresh, t.RefreshToken, refreshCookiePath, seconds(t.RefreshExpires.Sub(now))),
	}
}

func (a *Handlers) service() (*Service, error) { return a.svc() }

func tokensBody(t *Tokens) openapi.AuthTokenResponse {
	return openapi.AuthTokenResponse{User: users.ToAPI(t.User), Permissions: nonNil(t.Permissions), Token: t.AccessToken,
		RefreshToken: t.RefreshToken, ExpiresAt: t.AccessExpires}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func principal(ctx context.Context) (*users.Principal, error) {
	p, ok := UserFrom(ctx)
	if !ok {
		return nil, ErrAuthRequired
	}
	return p, nil
}

// AuthCheckAdminUsers implements GET /api/v1/auth/check-admin-users.
func (a *Handlers) AuthCheckAdminUsers(ctx context.Context, _ openapi.AuthCheckAdminUsersRequestObject) (openapi.AuthCheckAdminUsersResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	setup, err := s.users.SetupRequired(ctx)
	if err != nil {
		return nil, err
	}
	return openapi.AuthCheckAdminUsers200JSONResponse{HasAdminUsers: !setup, SetupRequired: setup}, nil
}

func newUser(b *openapi.AuthAccountRequest) users.NewUser {
	return users.NewUser{Username: b.Username, Email: string(b.Email), FirstName: deref(b.FirstName), LastName: deref(b.LastName), Password: b.Password}
}

// AuthSetupAdmin implements POST /api/v1/auth/setup-admin.
func (a *Handlers) AuthSetupAdmin(ctx context.Context, req openapi.AuthSetupAdminRequestObject) (openapi.AuthSetupAdminResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	t, err := s.SetupAdmin(ctx, newUser(req.Body))
	if err != nil {
		return nil, err
	}
	r := requestFrom(ctx)
	return cookieResponse{status: http.StatusCreated, cookies: s.sessionCookies(r, t), body: tokensBody(t)}, nil
}

// AuthSignupEnabled implements GET /api/v1/auth/signup-enabled.
func (a *Handlers) AuthSignupEnabled(ctx context.Context, _ openapi.AuthSignupEnabledRequestObject) (openapi.AuthSignupEnabledResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	on, err := s.SignupEnabled(ctx)
	if err != nil {
		return nil, err
	}
	return openapi.AuthSignupEnabled200JSONResponse{Enabled: on}, nil
}

// AuthSignup implements POST /api/v1/auth/signup.
func (a *Handlers) AuthSignup(ctx context.Context, req openapi.AuthSignupRequestObject) (openapi.AuthSignupResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	t, err := s.Signup(ctx, newUser(req.Body))
	if err != nil {
		return nil, err
	}
	r := requestFrom(ctx)
	return cookieResponse{status: http.StatusCreated, cookies: s.sessionCookies(r, t), body: tokensBody(t)}, nil
}

// AuthLogin implements POST /api/v1/auth/login.
func (a *Handlers) AuthLogin(ctx context.Context, req openapi.AuthLoginRequestObject) (openapi.AuthLoginResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	r := requestFrom(ctx)
	res, err := s.Login(ctx, req.Body.Username, req.Body.Password, cookieValue(r, CookieDevice))
	if err != nil {
		return nil, err
	}
	if res.Tokens == nil {
		ch := res.TFAChallenge
		return cookieResponse{status: http.StatusOK, body: openapi.AuthLoginResult{RequiresTfa: true, TfaChallenge: &ch}}, nil
	}
	t := res.Tokens
	u := users.ToAPI(t.User)
	perms := nonNil(t.Permissions)
	return cookieResponse{status: http.StatusOK, cookies: s.sessionCookies(r, t), body: openapi.AuthLoginResult{
		RequiresTfa: false, User: &u, Permissions: &perms, Token: &t.AccessToken, RefreshToken: &t.RefreshToken, ExpiresAt: &t.AccessExpires}}, nil
}

// AuthVerifyTfa implements POST /api/v1/auth/verify-tfa.
func (a *Handlers) AuthVerifyTfa(ctx context.Context, req openapi.AuthVerifyTfaRequestObject) (openapi.AuthVerifyTfaResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	remember := req.Body.RememberDevice != nil && *req.Body.RememberDevice
	t, err := s.VerifyTFA(ctx, req.Body.TfaChallenge, req.Body.Code, remember)
	if err != nil {
		return nil, err
	}
	r := requestFrom(ctx)
	cookies := s.sessionCookies(r, t)
	if t.DeviceToken != "" {
		cookies = append(cookies, newCookie(r, CookieDevice, t.DeviceToken, deviceCookiePath, seconds(t.DeviceExpires.Sub(s.now()))))
	}
	return cookieResponse{status: http.StatusOK, cookies: cookies, body: tokensBody(t)}, nil
}

// AuthRefresh implements POST /api/v1/auth/refresh.
func (a *Handlers) AuthRefresh(ctx context.Context, req openapi.AuthRefreshRequestObject) (openapi.AuthRefreshResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	r := requestFrom(ctx)
	token := ""
	if req.Body != nil && req.Body.RefreshToken != nil {
		token = *req.Body.RefreshToken
	}
	if token == "" {
		// A cookie-borne refresh is a write made with ambient credentials: same CSRF rule.
		if token = cookieValue(r, CookieRefresh); token != "" && !s.TrustedOrigin(r) {
			return nil, ErrCSRF
		}
	}
	t, err := s.Refresh(ctx, token)
	if err != nil {
		return nil, err
	}
	return cookieResponse{status: http.StatusOK, cookies: s.sessionCookies(r, t), body: tokensBody(t)}, nil
}

func clearSessionCookies(r *http.Request) []*http.Cookie {
	return []*http.Cookie{clearCookie(r, CookieAccess, "/"), clearCookie(r, CookieRefresh, refreshCookiePath)}
}

// AuthLogout implements POST /api/v1/auth/logout.
func (a *Handlers) AuthLogout(ctx context.Context, _ openapi.AuthLogoutRequestObject) (openapi.AuthLogoutResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	r := requestFrom(ctx)
	access, fromCookie := accessToken(r)
	refresh := cookieValue(r, CookieRefresh)
	if (fromCookie || (access == "" && refresh != "")) && !s.TrustedOrigin(r) {
		return nil, ErrCSRF
	}
	if err := s.Logout(ctx, access, refresh); err != nil {
		return nil, err
	}
	return cookieResponse{status: http.StatusOK, cookies: clearSessionCookies(r), body: openapi.AuthMessage{Message: "Signed out"}}, nil
}

// AuthLogoutAll implements POST /api/v1/auth/logout-all.
func (a *Handlers) AuthLogoutAll(ctx context.Context, _ openapi.AuthLogoutAllRequestObject) (openapi.AuthLogoutAllResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.LogoutAll(ctx, p.UserID); err != nil {
		return nil, err
	}
	r := requestFrom(ctx)
	return cookieResponse{status: http.StatusOK, cookies: clearSessionCookies(r), body: openapi.AuthMessage{Message: "Signed out of every session"}}, nil
}

func (a *Handlers) profile(ctx context.Context, s *Service, p *users.Principal) (openapi.AuthProfile, error) {
	u, err := s.users.GetUser(ctx, p.UserID)
	if err != nil {
		return openapi.AuthProfile{}, err
	}
	perms, err := s.users.Permissions(ctx, u.Role)
	if err != nil {
		return openapi.AuthProfile{}, err
	}
	return openapi.AuthProfile{User: users.ToAPI(u), Permissions: nonNil(perms)}, nil
}

// AuthGetProfile implements GET /api/v1/auth/profile.
func (a *Handlers) AuthGetProfile(ctx context.Context, _ openapi.AuthGetProfileRequestObject) (openapi.AuthGetProfileResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	out, err := a.profile(ctx, s, p)
	if err != nil {
		return nil, err
	}
	return openapi.AuthGetProfile200JSONResponse(out), nil
}

// AuthUpdateProfile implements PUT /api/v1/auth/profile.
func (a *Handlers) AuthUpdateProfile(ctx context.Context, req openapi.AuthUpdateProfileRequestObject) (openapi.AuthUpdateProfileResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	patch := users.UserPatch{Username: b.Username, FirstName: b.FirstName, LastName: b.LastName}
	if b.Email != nil {
		e := string(*b.Email)
		patch.Email = &e
	}
	if b.ThemePreference != nil {
		t := string(*b.ThemePreference)
		patch.ThemePreference = &t
	}
	if _, err := s.users.UpdateProfile(ctx, p.UserID, patch); err != nil {
		return nil, err
	}
	out, err := a.profile(ctx, s, p)
	if err != nil {
		return nil, err
	}
	return openapi.AuthUpdateProfile200JSONResponse(out), nil
}

// AuthChangePassword implements PUT /api/v1/auth/change-password.
func (a *Handlers) AuthChangePassword(ctx context.Context, req openapi.AuthChangePasswordRequestObject) (openapi.AuthChangePasswordResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.ChangePassword(ctx, p, req.Body.CurrentPassword, req.Body.NewPassword); err != nil {
		return nil, err
	}
	return openapi.AuthChangePassword200JSONResponse{Message: "Password changed; your other sessions were signed out"}, nil
}

// AuthListSessions implements GET /api/v1/auth/sessions.
func (a *Handlers) AuthListSessions(ctx context.Context, _ openapi.AuthListSessionsRequestObject) (openapi.AuthListSessionsResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.ListSessions(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	out := openapi.AuthSessionList{Sessions: make([]openapi.AuthSession, 0, len(list))}
	for _, x := range list {
		out.Sessions = append(out.Sessions, openapi.AuthSession{Id: x.ID, LoginMethod: x.LoginMethod, IpAddress: x.IP,
			UserAgent: x.UserAgent, CreatedAt: x.CreatedAt, LastActivityAt: x.LastActivityAt, ExpiresAt: x.ExpiresAt,
			Current: x.ID == p.SessionID})
	}
	return openapi.AuthListSessions200JSONResponse(out), nil
}

// AuthRevokeSession implements DELETE /api/v1/auth/sessions/{sessionId}.
func (a *Handlers) AuthRevokeSession(ctx context.Context, req openapi.AuthRevokeSessionRequestObject) (openapi.AuthRevokeSessionResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.RevokeSession(ctx, p.UserID, req.SessionId); err != nil {
		return nil, err
	}
	return openapi.AuthRevokeSession200JSONResponse{Message: "Session revoked"}, nil
}

// AuthOidcConfig implements GET /api/v1/auth/oidc/config.
func (a *Handlers) AuthOidcConfig(ctx context.Context, _ openapi.AuthOidcConfigRequestObject) (openapi.AuthOidcConfigResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	st := s.OIDCStatus(ctx)
	return openapi.AuthOidcConfig200JSONResponse{Enabled: st.Enabled, ButtonText: st.ButtonText, DisableLocalAuth: st.DisableLocalAuth}, nil
}

func (s *Service) oidcHTTPSCheck(r *http.Request) error {
	if s.cfg.OIDC.RequireHTTPS && !httpx.IsSecureRequest(r) {
		return ErrOIDCHTTPS
	}
	return nil
}

// AuthOidcLogin implements GET /api/v1/auth/oidc/login.
func (a *Handlers) AuthOidcLogin(ctx context.Context, _ openapi.AuthOidcLoginRequestObject) (openapi.AuthOidcLoginResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	r := requestFrom(ctx)
	if err := s.oidcHTTPSCheck(r); err != nil {
		return nil, err
	}
	to, flow, err := s.BeginOIDC(ctx)
	if err != nil {
		return nil, err
	}
	return redirectResponse{location: to, cookies: []*http.Cookie{newCookie(r, CookieOIDC, flow, oidcCookiePath, seconds(OIDCFlowTTL))}}, nil
}

// AuthOidcCallback implements GET /api/v1/auth/oidc/callback.
func (a *Handlers) AuthOidcCallback(ctx context.Context, req openapi.AuthOidcCallbackRequestObject) (openapi.AuthOidcCallbackResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	r := requestFrom(ctx)
	if err := s.oidcHTTPSCheck(r); err != nil {
		return nil, err
	}
	q := req.Params
	t, err := s.CompleteOIDC(ctx, cookieValue(r, CookieOIDC), CallbackParams{Code: deref(q.Code), State: deref(q.State),
		Error: deref(q.Error), ErrorDescription: deref(q.ErrorDescription)})
	cookies := []*http.Cookie{clearCookie(r, CookieOIDC, oidcCookiePath)}
	if err != nil {
		code := OIDCAuthFailed
		var oe *OIDCError
		if errors.As(err, &oe) {
			code = oe.Code
			s.log.WarnContext(ctx, "OIDC sign-in refused", "reason", code, "err", oe.Err)
		} else {
			s.log.ErrorContext(ctx, "OIDC sign-in failed", "err", err)
		}
		return redirectResponse{location: "/login?error=" + url.QueryEscape(code), cookies: cookies}, nil
	}
	return redirectResponse{location: "/", cookies: append(cookies, s.sessionCookies(r, t)...)}, nil
}

// TfaStatus implements GET /api/v1/tfa/status.
func (a *Handlers) TfaStatus(ctx context.Context, _ openapi.TfaStatusRequestObject) (openapi.TfaStatusResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.TFAStatus(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	return openapi.TfaStatus200JSONResponse{Enabled: st.Enabled, Available: st.Available,
		BackupCodesRemaining: st.BackupCodesRemaining, TrustedDevices: st.TrustedDevices}, nil
}

// TfaSetup implements POST /api/v1/tfa/setup.
func (a *Handlers) TfaSetup(ctx context.Context, _ openapi.TfaSetupRequestObject) (openapi.TfaSetupResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.SetupTFA(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	return openapi.TfaSetup200JSONResponse{Secret: st.Secret, OtpauthUrl: st.URL, QrCode: st.QRCode}, nil
}

// TfaVerifySetup implements POST /api/v1/tfa/verify-setup.
func (a *Handlers) TfaVerifySetup(ctx context.Context, req openapi.TfaVerifySetupRequestObject) (openapi.TfaVerifySetupResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	codes, err := s.ConfirmTFA(ctx, p.UserID, req.Body.Code)
	if err != nil {
		return nil, err
	}
	return openapi.TfaVerifySetup200JSONResponse{BackupCodes: codes}, nil
}

// TfaDisable implements POST /api/v1/tfa/disable.
func (a *Handlers) TfaDisable(ctx context.Context, req openapi.TfaDisableRequestObject) (openapi.TfaDisableResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.DisableTFA(ctx, p.UserID, req.Body.Password); err != nil {
		return nil, err
	}
	r := requestFrom(ctx)
	return cookieResponse{status: http.StatusOK, cookies: []*http.Cookie{clearCookie(r, CookieDevice, deviceCookiePath)},
		body: openapi.AuthMessage{Message: "Two-factor authentication disabled"}}, nil
}

// TfaRegenerateBackupCodes implements POST /api/v1/tfa/regenerate-backup-codes.
func (a *Handlers) TfaRegenerateBackupCodes(ctx context.Context, req openapi.TfaRegenerateBackupCodesRequestObject) (openapi.TfaRegenerateBackupCodesResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	codes, err := s.RegenerateBackupCodes(ctx, p.UserID, req.Body.Password)
	if err != nil {
		return nil, err
	}
	return openapi.TfaRegenerateBackupCodes200JSONResponse{BackupCodes: codes}, nil
}

// TfaListTrustedDevices implements GET /api/v1/tfa/trusted-devices.
func (a *Handlers) TfaListTrustedDevices(ctx context.Context, _ openapi.TfaListTrustedDevicesRequestObject) (openapi.TfaListTrustedDevicesResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.ListTrustedDevices(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	current, _ := s.DeviceID(ctx, cookieValue(requestFrom(ctx), CookieDevice))
	out := openapi.TfaTrustedDeviceList{Devices: make([]openapi.TfaTrustedDevice, 0, len(list))}
	for _, d := range list {
		out.Devices = append(out.Devices, openapi.TfaTrustedDevice{Id: d.ID, IpAddress: d.IP, UserAgent: d.UserAgent,
			CreatedAt: d.CreatedAt, LastUsedAt: d.LastUsedAt, ExpiresAt: d.ExpiresAt, Current: d.ID == current})
	}
	return openapi.TfaListTrustedDevices200JSONResponse(out), nil
}

// TfaRevokeTrustedDevice implements DELETE /api/v1/tfa/trusted-devices/{deviceId}.
func (a *Handlers) TfaRevokeTrustedDevice(ctx context.Context, req openapi.TfaRevokeTrustedDeviceRequestObject) (openapi.TfaRevokeTrustedDeviceResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.RevokeTrustedDevice(ctx, p.UserID, req.DeviceId); err != nil {
		return nil, err
	}
	return openapi.TfaRevokeTrustedDevice200JSONResponse{Message: "Trusted device removed"}, nil
}

// TfaRevokeAllTrustedDevices implements DELETE /api/v1/tfa/trusted-devices.
func (a *Handlers) TfaRevokeAllTrustedDevices(ctx context.Context, _ openapi.TfaRevokeAllTrustedDevicesRequestObject) (openapi.TfaRevokeAllTrustedDevicesResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.RevokeAllTrustedDevices(ctx, p.UserID); err != nil {
		return nil, err
	}
	return openapi.TfaRevokeAllTrustedDevices200JSONResponse{Message: "All trusted devices removed"}, nil
}

// UsersResetTfa implements DELETE /api/v1/auth/admin/users/{userId}/tfa.
func (a *Handlers) UsersResetTfa(ctx context.Context, req openapi.UsersResetTfaRequestObject) (openapi.UsersResetTfaResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	if err := s.ResetTFA(ctx, req.UserId); err != nil {
		return nil, err
	}
	return openapi.UsersResetTfa200JSONResponse{Message: "Two-factor authentication disabled for the user"}, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
