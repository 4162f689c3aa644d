package users

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// AdminAPI serves user administration, roles and the permission matrix, the audit log and
// the authentication settings. Embed it in the server's API type; each method implements
// the generated operation of the same name.
type AdminAPI struct {
	svc func() (*Service, error)
}

// NewAdminAPI returns the handlers; service returns the Service once the server has
// started (an error before, which the server answers with 503).
func NewAdminAPI(service func() (*Service, error)) *AdminAPI { return &AdminAPI{svc: service} }

// ToAPI converts a user to its API form.
func ToAPI(u User) openapi.User {
	out := openapi.User{Id: u.ID, Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		Role: u.Role, IsActive: u.IsActive, TfaEnabled: u.TFAEnabled, ThemePreference: openapi.UserThemePreference(u.ThemePreference),
		AvatarUrl: u.AvatarURL, HasPassword: u.HasPassword, OidcLinked: u.OIDCLinked, LastLoginAt: u.LastLoginAt,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
	if u.LockedUntil != nil && u.LockedUntil.After(time.Now()) {
		out.Locked, out.LockedUntil = true, u.LockedUntil
	}
	return out
}

func roleToAPI(r Role) openapi.Role {
	perms := r.Permissions
	if perms == nil {
		perms = []string{}
	}
	return openapi.Role{Name: r.Name, Description: r.Description, Builtin: r.Builtin, Permissions: perms, UserCount: r.UserCount}
}

func message(m string) openapi.AuthMessage { return openapi.AuthMessage{Message: m} }

// UsersList implements GET /api/v1/auth/admin/users.
func (a *AdminAPI) UsersList(ctx context.Context, req openapi.UsersListRequestObject) (openapi.UsersListResponseObject, error) {
	s, err := a.svc()
	if err != nil {
		return nil, err
	}
	var f UserFilter
	if req.Params.Search != nil {
		f.Search = *req.Params.Search
	}
	if req.Params.Role != nil {
		f.Role = *req.Params.Role
	}
	f.Active = req.Params.Active
	list, err := s.ListUsers(ctx, f)
	if err != nil {
		return nil, err
	}
	out := openapi.UserList{Users: make([]openapi.User, 0, len(list)), Total: len(list)}
	for _, u := range list {
		out.Users = append(out.Users, ToAPI(u))
	}
	return openapi.UsersList200JSONResponse(out), nil
}

// UsersCreate implements POST /api/v1/auth/admin/users.
func (a *AdminAPI) UsersCreate(ctx context.Context, req openapi.UsersCreateRequestObject) (openapi.UsersCreateResponseObject, error) {
	s, err := a.svc()
	if err != nil {
		return nil, err
	}
	b := req.Body
	in := NewUser{Username: b.Username, Email: string(b.Email), FirstName: deref(b.FirstName), LastName: deref(b.LastName),
		Password: b.Password, Role: deref(b.Role), Inactive: b.IsActive != nil && !*b.IsActive}
	u, err := s.CreateUser(ctx, in, "")
	if err != nil {
		return nil, err
	}
	return openapi.UsersCreate201JSONResponse(ToAPI(u)), nil
}

// UsersGet implements GET /api/v1/auth/admin/users/{userId}.
func (a *AdminAPI) UsersGet(ctx context.Context, req openapi.UsersGetRequestObject) (openapi.UsersGetResponseObject, error) {
	s, err := a.svc()
	if err != nil {
		return nil, err
	}
	u, err := s.GetUser(ctx, req.UserId)
	if err != nil {
		return nil, err
	}
	return openapi.UsersGet200JSONResponse(ToAPI(u)), nil
}

// UsersUpdate implements PUT /api/v1/auth/admin/users/{userId}.
func (a *AdminAPI) UsersUpdate(ctx context.Context, req openapi.UsersUpdateRequestObject) (openapi.UsersUpdateResponseObject, error) {
	s, err := a.svc()
	if err != nil {
		return nil, err
	}
	b := req.Body
	p := UserPatch{Username: b.Username, FirstName: b.FirstName, LastName: b.LastName, Role: b.Role, IsActive: b.IsActive}
	if b.Email != nil {
		e := string(*b.Email)
		p.Email = &e
	}
	u, err := s.UpdateUser(ctx, req.UserId, p)
	if err != nil {
		return nil, err
	}
	return openapi.UsersUpdate200JSONResponse(ToAPI(u)), nil
}

// UsersDelete implements DELETE /api/v1/auth/admin/users/{userId}.
func (a *AdminAPI) UsersDelete(ctx context.Context, req openapi.UsersDeleteRequestObject) (openapi.UsersDeleteResponseObject, error) {
	s, err := a.svc()
	if err != nil {
		return nil, err
	}
	if err := s.DeleteUser(ctx, req.UserId); err != nil {
		return nil, err
	}
	return openapi.UsersDelete200JSONResponse(message("User deleted")), nil
}

// UsersResetPassword implements POST /api/v1/auth/admin/users/{userId}/reset-password.
func (a *AdminAPI) UsersResetPassword(ctx context.Context, req openapi.UsersResetPasswordRequestObject) (openapi.UsersResetPasswordResponseObject, error) {
	s, err := a.svc()
	if err != nil {
		return nil, err
	}
	if err := s.ResetPassword(ctx, req.UserId, req.Body.NewPassword); err != nil {
		return nil, err
	}
	return openapi.UsersResetPassword200JSONResponse(message("Password reset; the user was signed out everywhere")), nil
}

// UsersUnlock implements POST /api/v1/auth/admin/users/{userId}/unlock.
func (a *AdminAPI) UsersUnlock(ctx context.Context, req openapi.UsersUnlockRequestObject) (openapi.UsersUnlockResponseObject, error) {
	s, err := a.svc()
	if err != nil {
		return nil, err
	}
	u, err := s.Unlock(ctx, req.UserId)
	if err != nil {
		return nil, err
	}
	return openapi.UsersUnlock200JSONResponse(ToAPI(u)), nil
}

// UsersRevokeSessions implements DELETE /api/v1/auth/admin/users/{userId}/sessions.
func (a *AdminAPI) UsersRevokeSessions(ctx context.Context, req openapi.UsersRevokeSessionsRequestObject) (openapi.UsersRevokeSessionsResponseObject, error) {
	s, err := a.svc()
	if err != nil {
		return nil, err
	}
	if err := s.RevokeSessions(ctx, req.UserId); err != nil {
		return nil, err
	}
	return openapi.UsersRevokeSessions200JSONResponse(message("The user was signed out everywhere")), nil
}

// RolesList implements GET /api/v1/permissions/roles.
func (a *AdminAPI) RolesList(ctx context.Context, _ openapi.RolesListRequestObject) (openapi.RolesListResponseObject, error) {
	s, err := a.svc()
	if err != nil {
		return nil, err
	}
	roles, err := s.ListRoles(ctx)
	if err != nil {
		return nil, err
	}
	out := openapi.RoleMatrix{Roles: make([]openapi.Role, 0, len(roles))}
	for _, r := range roles {
		out.Roles = append(out.Roles, roleToAPI(r))
	}
	for _, p := range catalogue {
		out.Permissions = append(out.Permissions, openapi.RolePermission{Name: p.Name, Description: p.Description})
	}
	return openapi.RolesList200JSONResponse(out), nil
}

// RolesCreate implements POST /api/v1/permissions/roles.
func (a *AdminAPI) RolesCreate(ctx context.Context, req openapi.RolesCreateRequestObject) (openapi.RolesCreateResponseObject, error) {
	s, err := a.svc()
	if err != nil {
		return nil, err
	}
	r, err := s.CreateRole(ctx, req.Body.Name, deref(req.Body.Description), req.Body.Permissions)
	if err != nil {
		return nil, err
	}
	return openapi.RolesCreate201JSONResponse(roleToAPI(r)), nil
}

// RolesGet implements GET /api/v1/permissions/roles/{role}.
func (a *AdminAPI) RolesGet(ctx context.Context, req openapi.RolesGetRequestObject) (openapi.RolesGetResponseObject, error) {
	s, err := a.svc()
	if err != nil {
		return nil, err
	}
	r, err := s.GetRole(ctx, req.Role)
	if err != nil {
		return nil, err
	}
	return openapi.RolesGet200JSONResponse(roleToAPI(r)), nil
}

// RolesUpdate implements PUT /api/v1/permissions/roles/{role}.
func (a *AdminAPI) RolesUpdate(ctx context.Context, req openapi.RolesUpdateRequestObject) (openapi.RolesUpdateResponseObject, error) {
	s, err := a.svc()
	if err != nil {
		return nil, err
	}
	r, err := s.UpdateRole(ctx, req.Role, req.Body.Description, req.Body.Permissions)
	if err != nil {
		return nil, err
	}
	return openapi.RolesUpdate200JSONResponse(roleToAPI(r)), nil
}

// RolesDelete implements DELETE /api/v1/permissions/roles/{role}.
func (a *AdminAPI) RolesDelete(ctx context.Context, req openapi.RolesDeleteRequestObject) (openapi.RolesDeleteResponseObject, error) {
	s, err := a.svc()
	if err != nil {
		return nil, err
	}
	if err := s.DeleteRole(ctx, req.Role); err != nil {
		return nil, err
	}
	return openapi.RolesDelete200JSONResponse(message("Role deleted")), nil
}

// RolesUserPermissions implements GET /api/v1/permissions/user-permissions.
func (a *AdminAPI) RolesUserPermissions(ctx context.Context, _ openapi.RolesUserPermissionsRequestObject) (openapi.RolesUserPermissionsResponseObject, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return nil, &httpx.APIError{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: "Authentication required"}
	}
	perms := p.Permissions
	if perms == nil {
		perms = []string{}
	}
	return openapi.RolesUserPermissions200JSONResponse{Role: p.Role, Permissions: perms}, nil
}

// AuthAuditLog implements GET /api/v1/audit-log.
func (a *AdminAPI) AuthAuditLog(ctx context.Context, req openapi.AuthAuditLogRequestObject) (openapi.AuthAuditLogResponseObject, error) {
	s, err := a.svc()
	if err != nil {
		return nil, err
	}
	q := req.Params
	f := AuditFilter{Event: deref(q.Event), Success: q.Success}
	if q.UserId != nil {
		f.UserID = uuid.UUID(*q.UserId)
	}
	if q.From != nil {
		f.From = *q.From
	}
	if q.To != nil {
		f.To = *q.To
	}
	if q.Limit != nil {
		f.Limit = *q.Limit
	}
	if q.Offset != nil {
		f.Offset = *q.Offset
	}
	recs, total, err := s.ListAudit(ctx, f)
	if err != nil {
		return nil, err
	}
	out := openapi.AuthAuditLog{Events: make([]openapi.AuthAuditEvent, 0, len(recs)), Total: total}
	for _, r := range recs {
		out.Events = append(out.Events, openapi.AuthAuditEvent{Id: r.ID, CreatedAt: r.Time, Event: r.Event, Success: r.Success,
			ActorId: r.ActorID, ActorUsername: r.ActorUsername, TargetType: r.TargetType, TargetId: r.TargetID,
			TargetName: r.TargetName, IpAddress: r.IP, UserAgent: r.UserAgent, Details: r.Details})
	}
	return openapi.AuthAuditLog200JSONResponse(out), nil
}

// AuthGetSettings implements GET /api/v1/auth/settings.
func (a *AdminAPI) AuthGetSettings(ctx context.Context, _ openapi.AuthGetSettingsRequestObject) (openapi.AuthGetSettingsResponseObject, error) {
	s, err := a.svc()
	if err != nil {
		return nil, err
	}
	on, err := s.SignupEnabled(ctx)
	if err != nil {
		return nil, err
	}
	return openapi.AuthGetSettings200JSONResponse{SignupEnabled: on}, nil
}

// AuthUpdateSettings implements PUT /api/v1/auth/settings.
func (a *AdminAPI) AuthUpdateSettings(ctx context.Context, req openapi.AuthUpdateSettingsRequestObject) (openapi.AuthUpdateSettingsResponseObject, error) {
	s, err := a.svc()
	if err != nil {
		return nil, err
	}
	if err := s.SetSignupEnabled(ctx, req.Body.SignupEnabled); err != nil {
		return nil, err
	}
	return openapi.AuthUpdateSettings200JSONResponse{SignupEnabled: req.Body.SignupEnabled}, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
