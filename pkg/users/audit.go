package users

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Audit event names. They are stable: dashboards and SIEM exports filter on them.
const (
	EventSetupAdmin          = "auth.setup_admin"
	EventSignup              = "auth.signup"
	EventLoginSuccess        = "auth.login.success"
	EventLoginFailure        = "auth.login.failure"
	EventLoginLocked         = "auth.login.locked"
	EventLogout              = "auth.logout"
	EventLogoutAll           = "auth.logout_all"
	EventSessionRevoked      = "auth.session.revoked"
	EventPasswordChanged     = "auth.password.changed"
	EventProfileUpdated      = "auth.profile.updated"
	EventTFAEnabled          = "tfa.enabled"
	EventTFADisabled         = "tfa.disabled"
	EventTFABackupRegen      = "tfa.backup_codes.regenerated"
	EventTFABackupUsed       = "tfa.backup_code.used"
	EventTFAFailure          = "tfa.verify.failure"
	EventTFALocked           = "tfa.locked"
	EventTFASuspicious       = "tfa.suspicious_activity"
	EventTFADeviceTrusted    = "tfa.trusted_device.added"
	EventTFADeviceRevoked    = "tfa.trusted_device.revoked"
	EventOIDCLoginSuccess    = "oidc.login.success"
	EventOIDCLoginFailure    = "oidc.login.failure"
	EventOIDCUserCreated     = "oidc.user.created"
	EventOIDCUserLinked      = "oidc.user.linked"
	EventOIDCRoleSynced      = "oidc.role.synced"
	EventUserCreated         = "user.created"
	EventUserUpdated         = "user.updated"
	EventUserDeleted         = "user.deleted"
	EventUserPasswordReset   = "user.password_reset"
	EventUserUnlocked        = "user.unlocked"
	EventUserRoleChanged     = "user.role_changed"
	EventUserSessionsRevoked = "user.sessions_revoked"
	EventRoleCreated         = "role.created"
	EventRoleUpdated         = "role.updated"
	EventRoleDeleted         = "role.deleted"
	EventSettingsUpdated     = "settings.auth.updated"
)

// AuditEntry is one event to record. Zero fields are filled from the context: the time,
// the actor (the signed-in user) and the client's address and user agent.
type AuditEntry struct {
	Time          time.Time
	Event         string
	Success       bool
	ActorID       uuid.UUID
	ActorUsername string
	TargetType    string // "user", "role", "session", "settings"
	TargetID      string
	TargetName    string
	IP            string
	UserAgent     string
	Details       map[string]any
}

// AuditRecord is a stored audit entry.
type AuditRecord struct {
	ID            int64
	Time          time.Time
	Event         string
	Success       bool
	ActorID       *uuid.UUID
	ActorUsername string
	TargetType    string
	TargetID      string
	TargetName    string
	IP            string
	UserAgent     string
	Details       map[string]any
}

// Client describes who is on the other end of a request, for the audit log and sessions.
type Client struct {
	IP        string
	UserAgent string
}

type clientKey struct{}

// WithClient returns a context carrying c.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the client of the request ctx belongs to (zero outside requests).
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// Audit records e. Failing to write the audit log is logged, not returned: the action it
// describes has already happened.
func (s *Service) Audit(ctx context.Context, e AuditEntry) {
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	if e.ActorID == uuid.Nil {
		if p, ok := PrincipalFrom(ctx); ok {
			e.ActorID, e.ActorUsername = p.UserID, p.Username
		}
	}
	c := ClientFrom(ctx)
	if e.IP == "" {
		e.IP = c.IP
	}
	if e.UserAgent == "" {
		e.UserAgent = truncate(c.UserAgent, 500)
	}
	e.ActorUsername = truncate(e.ActorUsername, 254)
	if err := s.store.insertAudit(context.WithoutCancel(ctx), e); err != nil {
		s.log.ErrorContext(ctx, "writing audit log failed", "event", e.Event, "err", err)
	}
}

// ListAudit returns a page of audit entries, newest first, and how many match in total.
func (s *Service) ListAudit(ctx context.Context, f AuditFilter) ([]AuditRecord, int64, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	f.Offset = max(f.Offset, 0)
	return s.store.listAudit(ctx, f)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s[:n])
	return string(r[:len(r)-1])
}
