package patchmon

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/pkg/auth"
	"github.com/patchmon-go/patchmon/pkg/secretbox"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// authState holds the user and auth services of a started server; the route table is
// built in New, so handlers and the authorisation middleware reach them through it.
type authState struct {
	auth  atomic.Pointer[auth.Service]
	users atomic.Pointer[users.Service]
}

// authService returns the auth service of a started server.
func (s *Server) authService() (*auth.Service, error) {
	if a := s.authn.auth.Load(); a != nil {
		return a, nil
	}
	return nil, ErrNotStarted
}

// usersService returns the user service of a started server.
func (s *Server) usersService() (*users.Service, error) {
	if u := s.authn.users.Load(); u != nil {
		return u, nil
	}
	return nil, ErrNotStarted
}

// requireUser is the enforcer of the "authenticated" (perm "") and can_… permission kinds.
func (s *Server) requireUser(perm string, next http.Handler) http.Handler {
	return auth.Require(s.authService, perm, next)
}

// roleName maps the upstream name "viewer" (documented for DEFAULT_USER_ROLE and
// OIDC_DEFAULT_ROLE) to the built-in readonly role.
func roleName(r string) string {
	if strings.EqualFold(strings.TrimSpace(r), "viewer") {
		return users.RoleReadonly
	}
	return strings.TrimSpace(r)
}

// startAuth builds the user and auth services on the open database and store, brings
// the permission matrix up to date and discovers the OIDC provider. Called by Start with
// s.mu held.
func (s *Server) startAuth(ctx context.Context) error {
	box, err := secretbox.New(secretbox.Config{AIEncryptionKey: s.cfg.AIEncryptionKey, SessionSecret: s.cfg.SessionSecret,
		DatabaseURL: s.cfg.DatabaseURL, Logger: s.log})
	if err != nil {
		return err
	}
	s.secrets = box
	var authSvc atomic.Pointer[auth.Service]
	us, err := users.New(users.Config{
		DB:     s.db,
		Logger: s.log.With("component", "users"),
		Policy: users.PasswordPolicy{MinLength: s.cfg.PasswordMinLength, RequireUppercase: s.cfg.PasswordRequireUppercase,
			RequireLowercase: s.cfg.PasswordRequireLowercase, RequireNumber: s.cfg.PasswordRequireNumber,
			RequireSpecial: s.cfg.PasswordRequireSpecial},
		DefaultRole: roleName(s.cfg.DefaultUserRole),
		Hasher:      users.NewHasher(s.cfg.PasswordHashCost),
		RevokeSessions: func(ctx context.Context, id uuid.UUID) error {
			if a := authSvc.Load(); a != nil {
				return a.RevokeUserSessions(ctx, id)
			}
			return nil
		},
	})
	if err != nil {
		return err
	}
	if err := us.Bootstrap(ctx); err != nil {
		return err
	}
	scopes := strings.FieldsFunc(s.cfg.OIDCScopes, func(r rune) bool { return r == ' ' || r == ',' })
	as, err := auth.New(auth.Config{
		DB: s.db, Users: us, Limiter: s.store, Tokens: s.store, Logger: s.log.With("component", "auth"),
		JWTSecret: s.cfg.JWTSecret, EncryptionKey: box.Key(),
		AccessTTL: s.cfg.JWTExpiresIn, RefreshTTL: s.cfg.JWTRefreshExpiresIn, InactivityTimeout: s.cfg.SessionInactivityTimeout,
		MaxLoginAttempts: s.cfg.MaxLoginAttempts, LockoutDuration: s.cfg.LockoutDuration,
		MaxTFAAttempts: s.cfg.MaxTFAAttempts, TFALockoutDuration: s.cfg.TFALockoutDuration,
		TFARememberTTL: s.cfg.TFARememberMeExpiresIn, TFAMaxRemember: s.cfg.TFAMaxRememberSessions,
		TFASuspiciousThreshold: s.cfg.TFASuspiciousActivityThreshold,
		PasswordRateMax:        s.cfg.PasswordRateLimitMax, PasswordRateWindow: s.cfg.PasswordRateLimitWindow,
		TrustedOrigins: s.cfg.corsOrigins(),
		OIDC: auth.OIDCConfig{
			Enabled: s.cfg.OIDCEnabled, IssuerURL: s.cfg.OIDCIssuerURL, ClientID: s.cfg.OIDCClientID,
			ClientSecret: s.cfg.OIDCClientSecret, RedirectURI: s.cfg.OIDCRedirectURI, Scopes: scopes,
			AutoCreateUsers: s.cfg.OIDCAutoCreateUsers, DefaultRole: roleName(s.cfg.OIDCDefaultRole),
			DisableLocalAuth: s.cfg.OIDCDisableLocalAuth, ButtonText: s.cfg.OIDCButtonText,
			AdminGroup: s.cfg.OIDCAdminGroup, SuperAdminGroup: s.cfg.OIDCSuperAdminGroup,
			HostManagerGroup: s.cfg.OIDCHostManagerGroup, UserGroup: s.cfg.OIDCUserGroup, ReadonlyGroup: s.cfg.OIDCReadonlyGroup,
			SyncRoles: s.cfg.OIDCSyncRoles, RequireHTTPS: s.cfg.NodeEnv == "production",
		},
	})
	if err != nil {
		return err
	}
	as.InitOIDC(ctx)
	authSvc.Store(as)
	s.authn.users.Store(us)
	s.authn.auth.Store(as)
	return nil
}

// stopAuth forgets the services; requests are answered 503 again.
func (s *Server) stopAuth() {
	s.authn.auth.Store(nil)
	s.authn.users.Store(nil)
}
