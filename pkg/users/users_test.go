package users_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/dbmigrate"
	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/users"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

const pw = "Sup3r-Secret!"

func setup(t *testing.T) (*users.Service, *pgxpool.Pool) {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), patchmontest.DatabaseURL(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	mig, err := dbmigrate.New(pool, dbmigrate.Config{SkipRiver: true})
	require.NoError(t, err)
	_, err = mig.Up(t.Context())
	require.NoError(t, err)
	s, err := users.New(users.Config{DB: db.New(pool, db.Options{}), Hasher: users.NewHasher(4), Logger: patchmontest.Logger(t)})
	require.NoError(t, err)
	require.NoError(t, s.Bootstrap(t.Context()))
	return s, pool
}

func as(ctx context.Context, s *users.Service, t *testing.T, u users.User) context.Context {
	perms, err := s.Permissions(ctx, u.Role)
	require.NoError(t, err)
	return users.WithPrincipal(ctx, &users.Principal{UserID: u.ID, Username: u.Username, Role: u.Role, Permissions: perms})
}

func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	all := users.PasswordPolicy{MinLength: 8, RequireUppercase: true, RequireLowercase: true, RequireNumber: true, RequireSpecial: true}
	for _, tc := range []struct {
		policy   users.PasswordPolicy
		password string
		want     string
	}{
		{all, "Sup3r-Secret!", ""},
		{all, "", "Password must be at least 8 characters long, contain an uppercase letter, contain a lowercase letter, contain a number and contain a special character"},
		{all, "abcdefgh", "Password must contain an uppercase letter, contain a number and contain a special character"},
		{all, "ABCDEFG1!", "Password must contain a lowercase letter"},
		{all, "Abcdefg1", "Password must contain a special character"},
		{all, "Äbcdefg1€", ""},
		{users.PasswordPolicy{MinLength: 12}, "short", "Password must be at least 12 characters long"},
		{users.PasswordPolicy{MinLength: 4}, "abcd", ""},
		{users.PasswordPolicy{MinLength: 8}, string(make([]byte, 73)), "Password must be at most 72 bytes long"},
	} {
		err := tc.policy.Check("password", tc.password)
		if tc.want == "" {
			assert.NoError(t, err, tc.password)
			continue
		}
		var ae *httpx.APIError
		require.ErrorAs(t, err, &ae, tc.password)
		assert.Equal(t, tc.want, ae.Message)
		assert.Equal(t, "password", ae.Field)
		assert.Equal(t, 400, ae.Status)
	}
}

func TestDefaultMatrixAndCatalogueSync(t *testing.T) {
	t.Parallel()
	s, pool := setup(t)
	ctx := t.Context()
	roles, err := s.ListRoles(ctx)
	require.NoError(t, err)
	require.Len(t, roles, 5)
	for _, r := range roles {
		for _, p := range users.PermissionNames() {
			assert.Equal(t, users.DefaultGrant(r.Name, p), slices.Contains(r.Permissions, p), "%s %s", r.Name, p)
		}
	}
	// The documented matrix, spot-checked.
	assert.True(t, users.DefaultGrant(users.RoleSuperAdmin, users.PermManageSuperusers))
	assert.False(t, users.DefaultGrant(users.RoleAdmin, users.PermManageSuperusers))
	assert.True(t, users.DefaultGrant(users.RoleHostManager, users.PermManageHosts))
	assert.False(t, users.DefaultGrant(users.RoleUser, users.PermManageHosts))
	assert.True(t, users.DefaultGrant(users.RoleUser, users.PermExportData))
	assert.False(t, users.DefaultGrant(users.RoleReadonly, users.PermExportData))
	assert.True(t, users.DefaultGrant(users.RoleReadonly, users.PermViewHosts))

	// An administrator's edit survives a restart.
	_, err = s.UpdateRole(ctx, users.RoleUser, nil, []string{users.PermViewDashboard})
	require.NoError(t, err)
	require.NoError(t, s.Bootstrap(ctx))
	r, err := s.GetRole(ctx, users.RoleUser)
	require.NoError(t, err)
	assert.Equal(t, []string{users.PermViewDashboard}, r.Permissions)

	// A permission the database has not seen is granted by the defaults once.
	_, err = pool.Exec(ctx, `DELETE FROM permissions WHERE name = 'can_manage_alerts'`)
	require.NoError(t, err)
	require.NoError(t, s.Bootstrap(ctx))
	r, err = s.GetRole(ctx, users.RoleAdmin)
	require.NoError(t, err)
	assert.Contains(t, r.Permissions, users.PermManageAlerts)
}

func TestRoles(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	ctx := t.Context()
	r, err := s.CreateRole(ctx, "auditor", "Reads reports", []string{users.PermViewReports, users.PermViewDashboard, users.PermViewReports})
	require.NoError(t, err)
	assert.Equal(t, []string{users.PermViewDashboard, users.PermViewReports}, r.Permissions)
	assert.False(t, r.Builtin)

	_, err = s.CreateRole(ctx, "auditor", "", nil)
	assert.ErrorIs(t, err, users.ErrRoleExists)
	_, err = s.CreateRole(ctx, "Bad Name", "", nil)
	assert.Error(t, err)
	_, err = s.UpdateRole(ctx, "auditor", nil, []string{"can_fly"})
	var ae *httpx.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, users.CodeUnknownPermission, ae.Code)
	_, err = s.UpdateRole(ctx, users.RoleSuperAdmin, nil, nil)
	assert.ErrorIs(t, err, users.ErrSuperAdminRole)
	_, err = s.UpdateRole(ctx, "nobody", nil, nil)
	assert.ErrorIs(t, err, users.ErrRoleNotFound)

	u, err := s.CreateUser(ctx, users.NewUser{Username: "aud", Email: "aud@example.com", Password: pw, Role: "auditor"}, "")
	require.NoError(t, err)
	perms, err := s.Permissions(ctx, u.Role)
	require.NoError(t, err)
	assert.Equal(t, []string{users.PermViewDashboard, users.PermViewReports}, perms)
	assert.ErrorIs(t, s.DeleteRole(ctx, "auditor"), users.ErrRoleInUse)
	assert.ErrorIs(t, s.DeleteRole(ctx, users.RoleReadonly), users.ErrBuiltinRole)
	require.NoError(t, s.DeleteUser(ctx, u.ID))
	require.NoError(t, s.DeleteRole(ctx, "auditor"))

	recs, total, err := s.ListAudit(ctx, users.AuditFilter{Event: "role."})
	require.NoError(t, err)
	assert.EqualValues(t, 2, total, "created and deleted; refused changes are not events")
	assert.Equal(t, users.EventRoleDeleted, recs[0].Event, "newest first")
}

func TestSuperAdminRules(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	ctx := t.Context()
	root, err := s.CreateFirstAdmin(ctx, users.NewUser{Username: "root", Email: "root@example.com", Password: pw})
	require.NoError(t, err)
	assert.Equal(t, users.RoleSuperAdmin, root.Role)
	_, err = s.CreateFirstAdmin(ctx, users.NewUser{Username: "root2", Email: "root2@example.com", Password: pw})
	assert.ErrorIs(t, err, users.ErrSetupDone)

	adm, err := s.CreateUser(as(ctx, s, t, root), users.NewUser{Username: "adm", Email: "adm@example.com", Password: pw, Role: users.RoleAdmin}, "")
	require.NoError(t, err)
	actx := as(ctx, s, t, adm)
	_, err = s.CreateUser(actx, users.NewUser{Username: "boss", Email: "boss@example.com", Password: pw, Role: users.RoleSuperAdmin}, "")
	assert.ErrorIs(t, err, users.ErrNeedSuperusers)
	super := users.RoleSuperAdmin
	_, err = s.UpdateUser(actx, adm.ID, users.UserPatch{Role: &super})
	assert.ErrorIs(t, err, users.ErrNeedSuperusers, "no promoting yourself")
	assert.ErrorIs(t, s.ResetPassword(actx, root.ID, "An0ther-One!"), users.ErrNeedSuperusers)
	assert.ErrorIs(t, s.DeleteUser(actx, root.ID), users.ErrNeedSuperusers)
	off := false
	_, err = s.UpdateUser(actx, adm.ID, users.UserPatch{IsActive: &off})
	assert.ErrorIs(t, err, users.ErrSelfDeactivate)

	rctx := as(ctx, s, t, root)
	admin := users.RoleAdmin
	_, err = s.UpdateUser(rctx, root.ID, users.UserPatch{Role: &admin})
	assert.ErrorIs(t, err, users.ErrLastSuperAdmin)
	// With a second super admin the first may step down.
	_, err = s.UpdateUser(rctx, adm.ID, users.UserPatch{Role: &super})
	require.NoError(t, err)
	_, err = s.UpdateUser(rctx, root.ID, users.UserPatch{Role: &admin})
	require.NoError(t, err)
	root, err = s.GetUser(ctx, root.ID)
	require.NoError(t, err)
	_, err = s.UpdateUser(as(ctx, s, t, root), adm.ID, users.UserPatch{IsActive: &off})
	assert.True(t, errors.Is(err, users.ErrNeedSuperusers), "root is an admin now")
	_, err = s.GetUser(ctx, uuid.New())
	assert.ErrorIs(t, err, users.ErrUserNotFound)
}

func TestUniqueUsername(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	ctx := t.Context()
	for _, name := range []string{"jo", "jo00", "jo002"} {
		_, err := s.CreateUser(ctx, users.NewUser{Username: name + "x", Email: name + "@example.com", Password: pw}, "")
		require.NoError(t, err)
	}
	got, err := s.UniqueUsername(ctx, "jo")
	require.NoError(t, err)
	assert.Equal(t, "jo0", got, "padded to three characters")
	_, err = s.CreateUser(ctx, users.NewUser{Username: "john.doe", Email: "jd@example.com", Password: pw}, "")
	require.NoError(t, err)
	got, err = s.UniqueUsername(ctx, "John.Doe")
	require.NoError(t, err)
	assert.Equal(t, "John.Doe2", got, "usernames are unique case-insensitively")
	got, err = s.UniqueUsername(ctx, "+weird name!")
	require.NoError(t, err)
	assert.Equal(t, "weirdname", got)
}
