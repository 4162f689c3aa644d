package users

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// User is an account as the API shows it (no secrets).
type User struct {
	ID              uuid.UUID
	Username        string
	Email           string
	FirstName       string
	LastName        string
	Role            string
	IsActive        bool
	ThemePreference string
	AvatarURL       string
	HasPassword     bool
	OIDCLinked      bool
	TFAEnabled      bool
	LockedUntil     *time.Time
	LastLoginAt     *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Role is a role with its permissions and how many users have it.
type Role struct {
	Name        string
	Description string
	Builtin     bool
	Permissions []string
	UserCount   int
}

// NewUser is an account to create.
type NewUser struct {
	Username, Email, FirstName, LastName string
	// Password is checked against the policy and hashed. Leave it empty with
	// NoPassword for accounts that only sign in through SSO.
	Password   string
	NoPassword bool
	// Role defaults to the configured default role.
	Role      string
	Inactive  bool
	AvatarURL string
	// OIDCIssuer and OIDCSubject link the account to an identity provider's user.
	OIDCIssuer, OIDCSubject string
}

// Config configures a Service.
type Config struct {
	// DB is the database. Required.
	DB *db.DB
	// Logger receives errors that are not returned (audit log failures). Default: discard.
	Logger *slog.Logger
	// Policy is the password policy. Default: the zero policy with MinLength 8.
	Policy PasswordPolicy
	// Hasher hashes passwords. Default: NewHasher(10), the spec's bcrypt cost.
	Hasher *Hasher
	// DefaultRole is given to new users who are not assigned one. Default: "user".
	DefaultRole string
	// RevokeSessions signs a user out everywhere (package auth provides it); it is called
	// when an administrator resets a password, deactivates or revokes a user. Default: none.
	RevokeSessions func(ctx context.Context, userID uuid.UUID) error
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// Service manages users, roles, the permission matrix, settings and the audit log.
type Service struct {
	cfg   Config
	store *store
	log   *slog.Logger
}

// New returns a Service. It does not touch the database; call Bootstrap once at start.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil {
		return nil, errors.New("users: Config.DB is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Policy.MinLength <= 0 {
		cfg.Policy.MinLength = 8
	}
	if cfg.Hasher == nil {
		cfg.Hasher = NewHasher(10)
	}
	if cfg.DefaultRole == "" {
		cfg.DefaultRole = RoleUser
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, store: &store{db: cfg.DB}, log: cfg.Logger}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now() }

// Hasher returns the password hasher.
func (s *Service) Hasher() *Hasher { return s.cfg.Hasher }

// Policy returns the password policy.
func (s *Service) Policy() PasswordPolicy { return s.cfg.Policy }

// Bootstrap brings the permission catalogue into the database (granting newly known
// permissions to the built-in roles by the default matrix) and checks that the default
// role exists.
func (s *Service) Bootstrap(ctx context.Context) error {
	added, err := s.store.syncCatalogue(ctx, catalogue)
	if err != nil {
		return fmt.Errorf("users: permission catalogue: %w", err)
	}
	if len(added) > 0 {
		s.log.InfoContext(ctx, "permissions added to the matrix", "permissions", added)
	}
	ok, err := s.store.roleExists(ctx, s.cfg.DefaultRole)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("DEFAULT_USER_ROLE: role %q does not exist (built-in roles: %s)", s.cfg.DefaultRole, strings.Join(BuiltinRoles, ", "))
	}
	return nil
}

// RoleExists reports whether a role exists.
func (s *Service) RoleExists(ctx context.Context, role string) (bool, error) {
	return s.store.roleExists(ctx, role)
}

// SetupRequired reports whether no user exists yet.
func (s *Service) SetupRequired(ctx context.Context) (bool, error) {
	n, err := s.store.countUsers(ctx)
	return n == 0, err
}

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$`)

// prepare validates a new account and turns it into a row.
func (s *Service) prepare(ctx context.Context, in NewUser) (newUserRow, error) {
	in.Username = strings.TrimSpace(in.Username)
	in.Email = strings.TrimSpace(in.Email)
	if !usernamePattern.MatchString(in.Username) {
		return newUserRow{}, apiErr(http.StatusBadRequest, httpx.CodeValidation,
			"Username must be 3-64 characters: letters, digits, '.', '_', '-' or '@'", "username")
	}
	if !strings.Contains(in.Email, "@") || len(in.Email) > 254 {
		return newUserRow{}, apiErr(http.StatusBadRequest, httpx.CodeValidation, "A valid email address is required", "email")
	}
	if in.Role == "" {
		in.Role = s.cfg.DefaultRole
	}
	ok, err := s.store.roleExists(ctx, in.Role)
	if err != nil {
		return newUserRow{}, err
	}
	if !ok {
		return newUserRow{}, UnknownRoleError("role", in.Role)
	}
	row := newUserRow{Username: in.Username, Email: in.Email, FirstName: strings.TrimSpace(in.FirstName),
		LastName: strings.TrimSpace(in.LastName), Role: in.Role, IsActive: !in.Inactive, AvatarURL: in.AvatarURL}
	if !in.NoPassword {
		if err := s.cfg.Policy.Check("password", in.Password); err != nil {
			return newUserRow{}, err
		}
		hash, err := s.cfg.Hasher.Hash(in.Password)
		if err != nil {
			return newUserRow{}, err
		}
		row.PasswordHash = &hash
	}
	if in.OIDCSubject != "" {
		row.OIDCIssuer, row.OIDCSubject = &in.OIDCIssuer, &in.OIDCSubject
	}
	return row, nil
}

// CreateFirstAdmin creates the first user, a super admin, while no user exists;
// afterwards it returns ErrSetupDone.
func (s *Service) CreateFirstAdmin(ctx context.Context, in NewUser) (User, error) {
	if done, err := s.SetupRequired(ctx); err != nil {
		return User{}, err
	} else if !done {
		return User{}, ErrSetupDone
	}
	in.Role, in.Inactive = RoleSuperAdmin, false
	row, err := s.prepare(ctx, in)
	if err != nil {
		return User{}, err
	}
	u, err := s.store.createFirstUser(ctx, row)
	if err != nil {
		return User{}, err
	}
	s.Audit(ctx, AuditEntry{Event: EventSetupAdmin, Success: true, ActorID: u.ID, ActorUsername: u.Username,
		TargetType: "user", TargetID: u.ID.String(), TargetName: u.Username})
	return u, nil
}

// CreateUser creates an account. When the context carries a signed-in user, creating a
// super admin needs can_manage_superusers. The audit event is event (EventUserCreated
// when empty).
func (s *Service) CreateUser(ctx context.Context, in NewUser, event string) (User, error) {
	if p, ok := PrincipalFrom(ctx); ok && in.Role == RoleSuperAdmin && !p.Can(PermManageSuperusers) {
		return User{}, ErrNeedSuperusers
	}
	row, err := s.prepare(ctx, in)
	if err != nil {
		return User{}, err
	}
	u, err := s.store.createUser(ctx, row)
	if err != nil {
		return User{}, err
	}
	if event == "" {
		event = EventUserCreated
	}
	s.Audit(ctx, AuditEntry{Event: event, Success: true, TargetType: "user", TargetID: u.ID.String(),
		TargetName: u.Username, Details: map[string]any{"role": u.Role}})
	return u, nil
}

// UniqueUsername returns base, or base with the lowest numeric suffix that is free.
func (s *Service) UniqueUsername(ctx context.Context, base string) (string, error) {
	base = sanitizeUsername(base)
	for i := 1; i < 1000; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s%d", base, i)
		}
		taken, err := s.store.usernameExists(ctx, name)
		if err != nil {
			return "", err
		}
		if !taken {
			return name, nil
		}
	}
	return base + "-" + strings.ReplaceAll(uuid.NewString()[:8], "-", ""), nil
}

var usernameJunk = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func sanitizeUsername(s string) string {
	s = usernameJunk.ReplaceAllString(s, "")
	s = strings.TrimLeft(s, "._-")
	if len(s) > 56 {
		s = s[:56]
	}
	switch {
	case s == "":
		return "user"
	case len(s) < 3:
		return s + strings.Repeat("0", 3-len(s))
	}
	return s
}

// GetUser returns one user.
func (s *Service) GetUser(ctx context.Context, id uuid.UUID) (User, error) {
	u, err := s.store.getUser(ctx, id)
	if errors.Is(err, errNotFound) {
		return User{}, ErrUserNotFound
	}
	return u, err
}

// ListUsers returns the users matching f, by username.
func (s *Service) ListUsers(ctx context.Context, f UserFilter) ([]User, error) {
	return s.store.listUsers(ctx, f)
}

// UpdateUser applies an administrator's change to a user. Touching a super admin, or
// making someone one, needs can_manage_superusers; the last active super admin cannot be
// demoted or deactivated, and nobody can deactivate themselves.
func (s *Service) UpdateUser(ctx context.Context, id uuid.UUID, p UserPatch) (User, error) {
	actor, _ := PrincipalFrom(ctx)
	if p.Role != nil {
		ok, err := s.store.roleExists(ctx, *p.Role)
		if err != nil {
			return User{}, err
		}
		if !ok {
			return User{}, UnknownRoleError("role", *p.Role)
		}
	}
	if err := validatePatch(p); err != nil {
		return User{}, err
	}
	var updated User
	before, err := s.store.guardedChange(ctx, id, func(cur User, supers int) error {
		if (cur.Role == RoleSuperAdmin || (p.Role != nil && *p.Role == RoleSuperAdmin)) && actor != nil && !actor.Can(PermManageSuperusers) {
			return ErrNeedSuperusers
		}
		if p.IsActive != nil && !*p.IsActive && actor != nil && actor.UserID == cur.ID {
			return ErrSelfDeactivate
		}
		losesSuper := cur.Role == RoleSuperAdmin && cur.IsActive &&
			((p.Role != nil && *p.Role != RoleSuperAdmin) || (p.IsActive != nil && !*p.IsActive))
		if losesSuper && supers <= 1 {
			return ErrLastSuperAdmin
		}
		return nil
	}, func(tx pgx.Tx) error {
		if p.empty() {
			var err error
			updated, err = scanUser(tx.QueryRow(ctx, sqlGetUser, id))
			return err
		}
		var err error
		updated, err = updateUser(ctx, tx, id, p)
		return err
	})
	if errors.Is(err, errNotFound) {
		return User{}, ErrUserNotFound
	}
	if err != nil {
		return User{}, err
	}
	changes := diffUsers(before, updated)
	if len(changes) > 0 {
		s.Audit(ctx, AuditEntry{Event: EventUserUpdated, Success: true, TargetType: "user", TargetID: id.String(),
			TargetName: updated.Username, Details: changes})
	}
	if before.Role != updated.Role {
		s.Audit(ctx, AuditEntry{Event: EventUserRoleChanged, Success: true, TargetType: "user", TargetID: id.String(),
			TargetName: updated.Username, Details: map[string]any{"from": before.Role, "to": updated.Role}})
	}
	if before.IsActive && !updated.IsActive {
		s.revoke(ctx, id)
	}
	return updated, nil
}

// UpdateProfile applies a user's change to their own account (names, email, username,
// theme); role and active flag are not theirs to change.
func (s *Service) UpdateProfile(ctx context.Context, id uuid.UUID, p UserPatch) (User, error) {
	p.Role, p.IsActive = nil, nil
	if err := validatePatch(p); err != nil {
		return User{}, err
	}
	before, err := s.GetUser(ctx, id)
	if err != nil {
		return User{}, err
	}
	if p.empty() {
		return before, nil
	}
	u, err := updateUser(ctx, s.store.db.Pool, id, p)
	if errors.Is(err, errNotFound) {
		return User{}, ErrUserNotFound
	}
	if err != nil {
		return User{}, err
	}
	if changes := diffUsers(before, u); len(changes) > 0 {
		s.Audit(ctx, AuditEntry{Event: EventProfileUpdated, Success: true, TargetType: "user", TargetID: id.String(),
			TargetName: u.Username, Details: changes})
	}
	return u, nil
}

// SyncExternal updates what an identity provider owns (names, email, avatar and, when
// role is not empty, the role) without the administrator checks of UpdateUser. The last
// active super admin keeps their role.
func (s *Service) SyncExternal(ctx context.Context, id uuid.UUID, p UserPatch) (User, error) {
	before, err := s.store.guardedChange(ctx, id, func(cur User, supers int) error {
		if p.Role != nil && cur.Role == RoleSuperAdmin && *p.Role != RoleSuperAdmin && cur.IsActive && supers <= 1 {
			p.Role = nil
		}
		if p.Email != nil && strings.EqualFold(*p.Email, cur.Email) {
			p.Email = nil
		}
		return nil
	}, func(pgx.Tx) error { return nil })
	if err != nil {
		return User{}, err
	}
	if p.empty() {
		return before, nil
	}
	u, err := updateUser(ctx, s.store.db.Pool, id, p)
	if errors.Is(err, ErrEmailTaken) {
		// Another account owns the new address; keep the old one rather than fail the login.
		p.Email = nil
		u, err = updateUser(ctx, s.store.db.Pool, id, p)
	}
	if err != nil {
		return User{}, err
	}
	if before.Role != u.Role {
		s.Audit(ctx, AuditEntry{Event: EventOIDCRoleSynced, Success: true, ActorID: u.ID, ActorUsername: u.Username,
			TargetType: "user", TargetID: id.String(), TargetName: u.Username,
			Details: map[string]any{"from": before.Role, "to": u.Role}})
	}
	return u, nil
}

var themes = []string{"light", "dark", "system"}

func validatePatch(p UserPatch) error {
	if p.Username != nil {
		v := strings.TrimSpace(*p.Username)
		if !usernamePattern.MatchString(v) {
			return apiErr(http.StatusBadRequest, httpx.CodeValidation,
				"Username must be 3-64 characters: letters, digits, '.', '_', '-' or '@'", "username")
		}
		*p.Username = v
	}
	if p.Email != nil {
		v := strings.TrimSpace(*p.Email)
		if !strings.Contains(v, "@") || len(v) > 254 {
			return apiErr(http.StatusBadRequest, httpx.CodeValidation, "A valid email address is required", "email")
		}
		*p.Email = v
	}
	if p.ThemePreference != nil && !slices.Contains(themes, *p.ThemePreference) {
		return apiErr(http.StatusBadRequest, httpx.CodeValidation, "Theme must be light, dark or system", "themePreference")
	}
	return nil
}

func diffUsers(a, b User) map[string]any {
	d := map[string]any{}
	add := func(k string, x, y any) {
		if x != y {
			d[k] = map[string]any{"from": x, "to": y}
		}
	}
	add("username", a.Username, b.Username)
	add("email", a.Email, b.Email)
	add("firstName", a.FirstName, b.FirstName)
	add("lastName", a.LastName, b.LastName)
	add("role", a.Role, b.Role)
	add("isActive", a.IsActive, b.IsActive)
	add("themePreference", a.ThemePreference, b.ThemePreference)
	return d
}

// DeleteUser deletes a user; not yourself, and not the last active super admin.
func (s *Service) DeleteUser(ctx context.Context, id uuid.UUID) error {
	actor, _ := PrincipalFrom(ctx)
	before, err := s.store.guardedChange(ctx, id, func(cur User, supers int) error {
		if actor != nil && actor.UserID == cur.ID {
			return ErrDeleteSelf
		}
		if cur.Role == RoleSuperAdmin && actor != nil && !actor.Can(PermManageSuperusers) {
			return ErrNeedSuperusers
		}
		if cur.Role == RoleSuperAdmin && cur.IsActive && supers <= 1 {
			return ErrLastSuperAdmin
		}
		return nil
	}, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, sqlDeleteUser, id)
		return err
	})
	if errors.Is(err, errNotFound) {
		return ErrUserNotFound
	}
	if err != nil {
		return err
	}
	s.Audit(ctx, AuditEntry{Event: EventUserDeleted, Success: true, TargetType: "user", TargetID: id.String(),
		TargetName: before.Username, Details: map[string]any{"role": before.Role, "email": before.Email}})
	return nil
}

// CheckTarget loads a user an administrator acts on and applies the super admin rule
// (acting on a super admin needs can_manage_superusers).
func (s *Service) CheckTarget(ctx context.Context, id uuid.UUID) (User, error) {
	u, err := s.GetUser(ctx, id)
	if err != nil {
		return User{}, err
	}
	if actor, ok := PrincipalFrom(ctx); ok && u.Role == RoleSuperAdmin && !actor.Can(PermManageSuperusers) {
		return User{}, ErrNeedSuperusers
	}
	return u, nil
}

// ResetPassword sets a user's password (checked against the policy) and signs them out
// everywhere.
func (s *Service) ResetPassword(ctx context.Context, id uuid.UUID, password string) error {
	u, err := s.CheckTarget(ctx, id)
	if err != nil {
		return err
	}
	if err := s.cfg.Policy.Check("newPassword", password); err != nil {
		return err
	}
	hash, err := s.cfg.Hasher.Hash(password)
	if err != nil {
		return err
	}
	if err := s.store.setPassword(ctx, id, hash); err != nil {
		if errors.Is(err, errNotFound) {
			return ErrUserNotFound
		}
		return err
	}
	s.revoke(ctx, id)
	s.Audit(ctx, AuditEntry{Event: EventUserPasswordReset, Success: true, TargetType: "user", TargetID: id.String(), TargetName: u.Username})
	return nil
}

// Unlock clears a user's login and 2FA lockouts.
func (s *Service) Unlock(ctx context.Context, id uuid.UUID) (User, error) {
	if _, err := s.CheckTarget(ctx, id); err != nil {
		return User{}, err
	}
	u, err := s.store.unlock(ctx, id)
	if errors.Is(err, errNotFound) {
		return User{}, ErrUserNotFound
	}
	if err != nil {
		return User{}, err
	}
	s.Audit(ctx, AuditEntry{Event: EventUserUnlocked, Success: true, TargetType: "user", TargetID: id.String(), TargetName: u.Username})
	return u, nil
}

// RevokeSessions signs a user out everywhere (an administrator's action).
func (s *Service) RevokeSessions(ctx context.Context, id uuid.UUID) error {
	u, err := s.CheckTarget(ctx, id)
	if err != nil {
		return err
	}
	if s.cfg.RevokeSessions != nil {
		if err := s.cfg.RevokeSessions(ctx, id); err != nil {
			return err
		}
	}
	s.Audit(ctx, AuditEntry{Event: EventUserSessionsRevoked, Success: true, TargetType: "user", TargetID: id.String(), TargetName: u.Username})
	return nil
}

func (s *Service) revoke(ctx context.Context, id uuid.UUID) {
	if s.cfg.RevokeSessions == nil {
		return
	}
	if err := s.cfg.RevokeSessions(ctx, id); err != nil {
		s.log.ErrorContext(ctx, "revoking sessions failed", "user_id", id, "err", err)
	}
}

// --- roles ---------------------------------------------------------------------------

// Permissions returns what role grants, sorted. Super admins hold every permission,
// whatever the table says, so they can never lock themselves out.
func (s *Service) Permissions(ctx context.Context, role string) ([]string, error) {
	if role == RoleSuperAdmin {
		p := PermissionNames()
		slices.Sort(p)
		return p, nil
	}
	return s.store.rolePermissions(ctx, role)
}

// ListRoles returns every role with its permissions.
func (s *Service) ListRoles(ctx context.Context) ([]Role, error) {
	roles, err := s.store.listRoles(ctx)
	for i := range roles {
		s.fixSuper(&roles[i])
	}
	return roles, err
}

// GetRole returns one role.
func (s *Service) GetRole(ctx context.Context, name string) (Role, error) {
	r, err := s.store.getRole(ctx, name)
	if errors.Is(err, errNotFound) {
		return Role{}, ErrRoleNotFound
	}
	s.fixSuper(&r)
	return r, err
}

func (s *Service) fixSuper(r *Role) {
	if r.Name == RoleSuperAdmin {
		r.Permissions = PermissionNames()
		slices.Sort(r.Permissions)
	}
}

var rolePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{1,49}$`)

func checkPermissions(perms []string) ([]string, error) {
	out := slices.Clone(perms)
	slices.Sort(out)
	out = slices.Compact(out)
	for _, p := range out {
		if !IsPermission(p) {
			return nil, apiErr(http.StatusBadRequest, CodeUnknownPermission, "Unknown permission \""+p+"\"", "permissions")
		}
	}
	return out, nil
}

// CreateRole creates a custom role.
func (s *Service) CreateRole(ctx context.Context, name, description string, perms []string) (Role, error) {
	if !rolePattern.MatchString(name) {
		return Role{}, apiErr(http.StatusBadRequest, httpx.CodeValidation,
			"Role name must be 2-50 characters: lowercase letters, digits and '_', starting with a letter", "name")
	}
	perms, err := checkPermissions(perms)
	if err != nil {
		return Role{}, err
	}
	if err := s.store.createRole(ctx, name, strings.TrimSpace(description), perms); err != nil {
		return Role{}, err
	}
	s.Audit(ctx, AuditEntry{Event: EventRoleCreated, Success: true, TargetType: "role", TargetID: name, TargetName: name,
		Details: map[string]any{"permissions": perms}})
	return s.GetRole(ctx, name)
}

// UpdateRole replaces a role's permissions (and description when not nil). The
// superadmin role cannot be changed.
func (s *Service) UpdateRole(ctx context.Context, name string, description *string, perms []string) (Role, error) {
	if name == RoleSuperAdmin {
		return Role{}, ErrSuperAdminRole
	}
	perms, err := checkPermissions(perms)
	if err != nil {
		return Role{}, err
	}
	if description != nil {
		d := strings.TrimSpace(*description)
		description = &d
	}
	before, err := s.store.setRolePermissions(ctx, name, description, perms)
	if errors.Is(err, errNotFound) {
		return Role{}, ErrRoleNotFound
	}
	if err != nil {
		return Role{}, err
	}
	var added, removed []string
	for _, p := range perms {
		if !slices.Contains(before, p) {
			added = append(added, p)
		}
	}
	for _, p := range before {
		if !slices.Contains(perms, p) {
			removed = append(removed, p)
		}
	}
	s.Audit(ctx, AuditEntry{Event: EventRoleUpdated, Success: true, TargetType: "role", TargetID: name, TargetName: name,
		Details: map[string]any{"added": added, "removed": removed}})
	return s.GetRole(ctx, name)
}

// DeleteRole deletes a custom role no user has.
func (s *Service) DeleteRole(ctx context.Context, name string) error {
	r, err := s.GetRole(ctx, name)
	if err != nil {
		return err
	}
	if r.Builtin {
		return ErrBuiltinRole
	}
	ok, err := s.store.deleteRole(ctx, name)
	if err != nil {
		return err
	}
	if !ok {
		return ErrRoleInUse
	}
	s.Audit(ctx, AuditEntry{Event: EventRoleDeleted, Success: true, TargetType: "role", TargetID: name, TargetName: name})
	return nil
}

// --- settings ------------------------------------------------------------------------

// SignupEnabled reports whether self sign-up is on.
func (s *Service) SignupEnabled(ctx context.Context) (bool, error) { return s.store.signupEnabled(ctx) }

// SetSignupEnabled turns self sign-up on or off.
func (s *Service) SetSignupEnabled(ctx context.Context, on bool) error {
	before, err := s.store.signupEnabled(ctx)
	if err != nil {
		return err
	}
	if err := s.store.setSignupEnabled(ctx, on); err != nil {
		return err
	}
	if before != on {
		s.Audit(ctx, AuditEntry{Event: EventSettingsUpdated, Success: true, TargetType: "settings", TargetID: "auth",
			Details: map[string]any{"signupEnabled": map[string]any{"from": before, "to": on}}})
	}
	return nil
}
