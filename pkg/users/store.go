package users

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/patchmon-go/patchmon/pkg/db"
)

// querier is what both the pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// store holds every SQL statement of this package.
type store struct{ db *db.DB }

const userColumns = `id, username, email, first_name, last_name, role, is_active, theme_preference,
	avatar_url, password_hash IS NOT NULL, oidc_subject IS NOT NULL, tfa_enabled, locked_until,
	last_login_at, created_at, updated_at`

func scanUser(row pgx.Row) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Username, &u.Email, &u.FirstName, &u.LastName, &u.Role, &u.IsActive,
		&u.ThemePreference, &u.AvatarURL, &u.HasPassword, &u.OIDCLinked, &u.TFAEnabled, &u.LockedUntil,
		&u.LastLoginAt, &u.CreatedAt, &u.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, errNotFound
	}
	return u, err
}

const (
	sqlCountUsers  = `SELECT count(*) FROM users`
	sqlSetupLock   = `SELECT pg_advisory_xact_lock(7403001)` // serialises first-time setup
	sqlInsertUser  = `INSERT INTO users (username, email, first_name, last_name, password_hash, role, is_active, avatar_url, oidc_issuer, oidc_subject) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ` + userColumns
	sqlGetUser     = `SELECT ` + userColumns + ` FROM users WHERE id = $1`
	sqlDeleteUser  = `DELETE FROM users WHERE id = $1`
	sqlSetPassword = `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`
	sqlUnlockUser  = `UPDATE users SET failed_login_attempts = 0, last_failed_login_at = NULL, locked_until = NULL,
		tfa_failed_attempts = 0, tfa_locked_until = NULL, updated_at = now() WHERE id = $1 RETURNING ` + userColumns
	sqlLockSuperAdmins = `SELECT id FROM users WHERE role = 'superadmin' AND is_active ORDER BY id FOR UPDATE`
	sqlUserForUpdate   = `SELECT ` + userColumns + ` FROM users WHERE id = $1 FOR UPDATE`
	sqlUsernameExists  = `SELECT EXISTS (SELECT 1 FROM users WHERE lower(username) = lower($1))`
)

func (s *store) countUsers(ctx context.Context) (int, error) {
	var n int
	err := s.db.Pool.QueryRow(ctx, sqlCountUsers).Scan(&n)
	return n, err
}

// newUserRow is a user about to be inserted.
type newUserRow struct {
	Username, Email, FirstName, LastName string
	PasswordHash                         *string
	Role                                 string
	IsActive                             bool
	AvatarURL                            string
	OIDCIssuer, OIDCSubject              *string
}

func insertUser(ctx context.Context, q querier, r newUserRow) (User, error) {
	u, err := scanUser(q.QueryRow(ctx, sqlInsertUser, r.Username, r.Email, r.FirstName, r.LastName,
		r.PasswordHash, r.Role, r.IsActive, r.AvatarURL, r.OIDCIssuer, r.OIDCSubject))
	return u, uniqueError(err)
}

// uniqueError turns unique violations into the client-facing conflicts.
func uniqueError(err error) error {
	switch {
	case db.IsUniqueViolation(err, "users_username_key"):
		return ErrUsernameTaken
	case db.IsUniqueViolation(err, "users_email_key"):
		return ErrEmailTaken
	case isForeignKeyViolation(err, "users_role_fkey"):
		return UnknownRoleError("role", "")
	}
	return err
}

func isForeignKeyViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503" && pe.ConstraintName == constraint
}

// createFirstUser inserts r only while no user exists.
func (s *store) createFirstUser(ctx context.Context, r newUserRow) (User, error) {
	var u User
	err := s.db.Tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlSetupLock); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, sqlCountUsers).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrSetupDone
		}
		var err error
		u, err = insertUser(ctx, tx, r)
		return err
	})
	return u, err
}

func (s *store) createUser(ctx context.Context, r newUserRow) (User, error) {
	return insertUser(ctx, s.db.Pool, r)
}

func (s *store) getUser(ctx context.Context, id uuid.UUID) (User, error) {
	return scanUser(s.db.Pool.QueryRow(ctx, sqlGetUser, id))
}

func (s *store) usernameExists(ctx context.Context, name string) (bool, error) {
	var ok bool
	err := s.db.Pool.QueryRow(ctx, sqlUsernameExists, name).Scan(&ok)
	return ok, err
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	Search string // matches username, email, first or last name (case-insensitive)
	Role   string
	Active *bool
}

func (s *store) listUsers(ctx context.Context, f UserFilter) ([]User, error) {
	var where []string
	var args []any
	if f.Search != "" {
		args = append(args, "%"+escapeLike(f.Search)+"%")
		n := strconv.Itoa(len(args))
		where = append(where, "(username ILIKE $"+n+" OR email ILIKE $"+n+" OR first_name ILIKE $"+n+" OR last_name ILIKE $"+n+")")
	}
	if f.Role != "" {
		args = append(args, f.Role)
		where = append(where, "role = $"+strconv.Itoa(len(args)))
	}
	if f.Active != nil {
		args = append(args, *f.Active)
		where = append(where, "is_active = $"+strconv.Itoa(len(args)))
	}
	q := `SELECT ` + userColumns + ` FROM users`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY lower(username)"
	rows, err := s.db.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// UserPatch is a partial update; nil fields are left alone.
type UserPatch struct {
	Username, Email, FirstName, LastName, Role, ThemePreference, AvatarURL *string
	IsActive                                                               *bool
}

func (p UserPatch) empty() bool {
	return p.Username == nil && p.Email == nil && p.FirstName == nil && p.LastName == nil &&
		p.Role == nil && p.ThemePreference == nil && p.AvatarURL == nil && p.IsActive == nil
}

func updateUser(ctx context.Context, q querier, id uuid.UUID, p UserPatch) (User, error) {
	sets := []string{"updated_at = now()"}
	args := []any{id}
	add := func(col string, v any) {
		args = append(args, v)
		sets = append(sets, col+" = $"+strconv.Itoa(len(args)))
	}
	if p.Username != nil {
		add("username", *p.Username)
	}
	if p.Email != nil {
		add("email", *p.Email)
	}
	if p.FirstName != nil {
		add("first_name", *p.FirstName)
	}
	if p.LastName != nil {
		add("last_name", *p.LastName)
	}
	if p.Role != nil {
		add("role", *p.Role)
	}
	if p.ThemePreference != nil {
		add("theme_preference", *p.ThemePreference)
	}
	if p.AvatarURL != nil {
		add("avatar_url", *p.AvatarURL)
	}
	if p.IsActive != nil {
		add("is_active", *p.IsActive)
	}
	u, err := scanUser(q.QueryRow(ctx, `UPDATE users SET `+strings.Join(sets, ", ")+` WHERE id = $1 RETURNING `+userColumns, args...))
	return u, uniqueError(err)
}

// guardedChange runs check on the locked user and the locked list of active super
// admins, then applies the change; it keeps "at least one active super admin" true under
// concurrent changes.
func (s *store) guardedChange(ctx context.Context, id uuid.UUID, check func(cur User, activeSupers int) error,
	apply func(tx pgx.Tx) error) (User, error) {
	var cur User
	err := s.db.Tx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, sqlLockSuperAdmins)
		if err != nil {
			return err
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		cur, err = scanUser(tx.QueryRow(ctx, sqlUserForUpdate, id))
		if err != nil {
			return err
		}
		if err := check(cur, n); err != nil {
			return err
		}
		return apply(tx)
	})
	return cur, err
}

func (s *store) setPassword(ctx context.Context, id uuid.UUID, hash string) error {
	tag, err := s.db.Pool.Exec(ctx, sqlSetPassword, id, hash)
	if err == nil && tag.RowsAffected() == 0 {
		return errNotFound
	}
	return err
}

func (s *store) unlock(ctx context.Context, id uuid.UUID) (User, error) {
	return scanUser(s.db.Pool.QueryRow(ctx, sqlUnlockUser, id))
}

// --- roles and permissions -------------------------------------------------------------

const (
	sqlListRoles = `SELECT r.name, r.description, r.builtin,
		COALESCE((SELECT array_agg(rp.permission ORDER BY rp.permission) FROM role_permissions rp WHERE rp.role = r.name), '{}'),
		(SELECT count(*) FROM users u WHERE u.role = r.name)
		FROM roles r ORDER BY r.builtin DESC, r.name`
	sqlGetRole = `SELECT r.name, r.description, r.builtin,
		COALESCE((SELECT array_agg(rp.permission ORDER BY rp.permission) FROM role_permissions rp WHERE rp.role = r.name), '{}'),
		(SELECT count(*) FROM users u WHERE u.role = r.name)
		FROM roles r WHERE r.name = $1`
	sqlRoleExists       = `SELECT EXISTS (SELECT 1 FROM roles WHERE name = $1)`
	sqlInsertRole       = `INSERT INTO roles (name, description) VALUES ($1, $2)`
	sqlUpdateRoleDesc   = `UPDATE roles SET description = $2, updated_at = now() WHERE name = $1`
	sqlTouchRole        = `UPDATE roles SET updated_at = now() WHERE name = $1`
	sqlDeleteRolePerms  = `DELETE FROM role_permissions WHERE role = $1`
	sqlInsertRolePerms  = `INSERT INTO role_permissions (role, permission) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`
	sqlDeleteCustomRole = `DELETE FROM roles WHERE name = $1 AND NOT builtin AND NOT EXISTS (SELECT 1 FROM users WHERE role = $1)`
	sqlKnownPermissions = `SELECT name FROM permissions`
	sqlInsertPermission = `INSERT INTO permissions (name, description) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description`
	sqlGrantPermission  = `INSERT INTO role_permissions (role, permission) SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM roles WHERE name = $1) ON CONFLICT DO NOTHING`
	sqlCatalogueLock    = `SELECT pg_advisory_xact_lock(7403002)` // replicas starting together
	sqlRolePermissions  = `SELECT permission FROM role_permissions WHERE role = $1 ORDER BY permission`
	sqlGetSignupEnabled = `SELECT signup_enabled FROM settings WHERE id = 1`
	sqlSetSignupEnabled = `UPDATE settings SET signup_enabled = $1, updated_at = now() WHERE id = 1`
)

func scanRole(row pgx.Row) (Role, error) {
	var r Role
	err := row.Scan(&r.Name, &r.Description, &r.Builtin, &r.Permissions, &r.UserCount)
	if errors.Is(err, pgx.ErrNoRows) {
		return Role{}, errNotFound
	}
	return r, err
}

func (s *store) listRoles(ctx context.Context) ([]Role, error) {
	rows, err := s.db.Pool.Query(ctx, sqlListRoles)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Role
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *store) getRole(ctx context.Context, name string) (Role, error) {
	return scanRole(s.db.Pool.QueryRow(ctx, sqlGetRole, name))
}

func (s *store) roleExists(ctx context.Context, name string) (bool, error) {
	var ok bool
	err := s.db.Pool.QueryRow(ctx, sqlRoleExists, name).Scan(&ok)
	return ok, err
}

func (s *store) rolePermissions(ctx context.Context, role string) ([]string, error) {
	rows, err := s.db.Pool.Query(ctx, sqlRolePermissions, role)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (s *store) createRole(ctx context.Context, name, desc string, perms []string) error {
	return s.db.Tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlInsertRole, name, desc); err != nil {
			if db.IsUniqueViolation(err, "roles_pkey") {
				return ErrRoleExists
			}
			return err
		}
		_, err := tx.Exec(ctx, sqlInsertRolePerms, name, perms)
		return err
	})
}

// setRolePermissions replaces the role's permissions and returns the ones before.
func (s *store) setRolePermissions(ctx context.Context, name string, desc *string, perms []string) (before []string, err error) {
	err = s.db.Tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, sqlTouchRole, name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errNotFound
		}
		rows, err := tx.Query(ctx, sqlRolePermissions, name)
		if err != nil {
			return err
		}
		if before, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return err
		}
		if desc != nil {
			if _, err := tx.Exec(ctx, sqlUpdateRoleDesc, name, *desc); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, sqlDeleteRolePerms, name); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, sqlInsertRolePerms, name, perms)
		return err
	})
	return before, err
}

func (s *store) deleteRole(ctx context.Context, name string) (bool, error) {
	tag, err := s.db.Pool.Exec(ctx, sqlDeleteCustomRole, name)
	return tag.RowsAffected() == 1, err
}

// syncCatalogue records permissions the database has not seen yet and grants them to the
// built-in roles by the default matrix. Existing grants are left as administrators set
// them.
func (s *store) syncCatalogue(ctx context.Context, perms []PermissionInfo) (added []string, err error) {
	err = s.db.Tx(ctx, func(tx pgx.Tx) error {
		added = nil
		if _, err := tx.Exec(ctx, sqlCatalogueLock); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, sqlKnownPermissions)
		if err != nil {
			return err
		}
		known, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, k := range known {
			seen[k] = true
		}
		for _, p := range perms {
			if _, err := tx.Exec(ctx, sqlInsertPermission, p.Name, p.Description); err != nil {
				return err
			}
			if seen[p.Name] {
				continue
			}
			added = append(added, p.Name)
			for _, role := range append([]string{RoleSuperAdmin}, p.Defaults...) {
				if _, err := tx.Exec(ctx, sqlGrantPermission, role, p.Name); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return added, err
}

// --- settings -------------------------------------------------------------------------

func (s *store) signupEnabled(ctx context.Context) (bool, error) {
	var on bool
	err := s.db.Pool.QueryRow(ctx, sqlGetSignupEnabled).Scan(&on)
	return on, err
}

func (s *store) setSignupEnabled(ctx context.Context, on bool) error {
	_, err := s.db.Pool.Exec(ctx, sqlSetSignupEnabled, on)
	return err
}

// --- audit log ------------------------------------------------------------------------

const sqlInsertAudit = `INSERT INTO audit_log (created_at, event, success, actor_id, actor_username, target_type,
	target_id, target_name, ip_address, user_agent, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

func (s *store) insertAudit(ctx context.Context, e AuditEntry) error {
	details := e.Details
	if details == nil {
		details = map[string]any{}
	}
	b, err := json.Marshal(details)
	if err != nil {
		return err
	}
	var actor *uuid.UUID
	if e.ActorID != uuid.Nil {
		actor = &e.ActorID
	}
	_, err = s.db.Pool.Exec(ctx, sqlInsertAudit, e.Time, e.Event, e.Success, actor, e.ActorUsername,
		e.TargetType, e.TargetID, e.TargetName, e.IP, e.UserAgent, b)
	return err
}

// AuditFilter narrows ListAudit.
type AuditFilter struct {
	// Event is an exact event name, or a prefix when it ends with ".".
	Event    string
	UserID   uuid.UUID // actor or target
	Success  *bool
	From, To time.Time
	Limit    int
	Offset   int
}

func (s *store) listAudit(ctx context.Context, f AuditFilter) ([]AuditRecord, int64, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Event != "" {
		if strings.HasSuffix(f.Event, ".") {
			where = append(where, "event LIKE "+arg(escapeLike(f.Event)+"%"))
		} else {
			where = append(where, "event = "+arg(f.Event))
		}
	}
	if f.UserID != uuid.Nil {
		a := arg(f.UserID)
		where = append(where, fmt.Sprintf("(actor_id = %s OR (target_type = 'user' AND target_id = %s::text))", a, a))
	}
	if f.Success != nil {
		where = append(where, "success = "+arg(*f.Success))
	}
	if !f.From.IsZero() {
		where = append(where, "created_at >= "+arg(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "created_at < "+arg(f.To))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int64
	if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log`+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	q := `SELECT id, created_at, event, success, actor_id, actor_username, target_type, target_id, target_name,
		ip_address, user_agent, details FROM audit_log` + cond +
		` ORDER BY created_at DESC, id DESC LIMIT ` + arg(f.Limit) + ` OFFSET ` + arg(f.Offset)
	rows, err := s.db.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []AuditRecord
	for rows.Next() {
		var r AuditRecord
		var details []byte
		if err := rows.Scan(&r.ID, &r.Time, &r.Event, &r.Success, &r.ActorID, &r.ActorUsername, &r.TargetType,
			&r.TargetID, &r.TargetName, &r.IP, &r.UserAgent, &details); err != nil {
			return nil, 0, err
		}
		if err := json.Unmarshal(details, &r.Details); err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}
