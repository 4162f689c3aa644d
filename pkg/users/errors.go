package users

import (
	"errors"
	"net/http"

	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// Stable error codes of this package and package auth. Messages for each failure are
// fixed too; clients may show them as they are.
const (
	CodeUnauthorized       = "unauthorized"
	CodeSessionExpired     = "session_expired"
	CodeForbidden          = "forbidden"
	CodeCSRF               = "csrf_rejected"
	CodeInvalidCredentials = "invalid_credentials"
	CodeAccountLocked      = "account_locked"
	CodeAccountDisabled    = "account_disabled"
	CodeLocalAuthDisabled  = "local_auth_disabled"
	CodeTFAInvalid         = "tfa_invalid"
	CodeTFALocked          = "tfa_locked"
	CodeTFAChallenge       = "tfa_challenge_invalid"
	CodeTFAState           = "tfa_state"
	CodePasswordPolicy     = "password_policy"
	CodeSetupDone          = "setup_completed"
	CodeSignupDisabled     = "signup_disabled"
	CodeUsernameTaken      = "username_taken"
	CodeEmailTaken         = "email_taken"
	CodeRoleExists         = "role_exists"
	CodeRoleInUse          = "role_in_use"
	CodeUnknownRole        = "unknown_role"
	CodeUnknownPermission  = "unknown_permission"
	CodeNotFound           = "not_found"
	CodeLastSuperAdmin     = "last_superadmin"
	CodeSelf               = "self_action"
	CodeRateLimited        = "rate_limited"
	CodeOIDCUnavailable    = "oidc_unavailable"
	CodeOIDCHTTPS          = "oidc_https_required"
	CodeBuiltinRole        = "builtin_role"
	CodeInvalidRefresh     = "invalid_refresh_token"
)

// errNotFound is the store's "no such row"; the service turns it into the API's 404s.
var errNotFound = errors.New("users: not found")

// The errors a client sees, one table so messages stay stable.
var (
	ErrUserNotFound   = apiErr(http.StatusNotFound, CodeNotFound, "User not found", "")
	ErrRoleNotFound   = apiErr(http.StatusNotFound, CodeNotFound, "Role not found", "")
	ErrUsernameTaken  = apiErr(http.StatusConflict, CodeUsernameTaken, "Username is already taken", "username")
	ErrEmailTaken     = apiErr(http.StatusConflict, CodeEmailTaken, "Email is already in use", "email")
	ErrRoleExists     = apiErr(http.StatusConflict, CodeRoleExists, "A role with this name already exists", "name")
	ErrRoleInUse      = apiErr(http.StatusConflict, CodeRoleInUse, "The role is assigned to users; give them another role first", "")
	ErrBuiltinRole    = apiErr(http.StatusForbidden, CodeBuiltinRole, "Built-in roles cannot be deleted", "")
	ErrSuperAdminRole = apiErr(http.StatusForbidden, CodeBuiltinRole, "The superadmin role always has every permission", "")
	ErrLastSuperAdmin = apiErr(http.StatusConflict, CodeLastSuperAdmin, "At least one active super admin must remain", "")
	ErrDeleteSelf     = apiErr(http.StatusConflict, CodeSelf, "You cannot delete your own account", "")
	ErrNeedSuperusers = apiErr(http.StatusForbidden, CodeForbidden, "Managing super admins requires the can_manage_superusers permission", "")
	ErrSelfDeactivate = apiErr(http.StatusConflict, CodeSelf, "You cannot deactivate your own account", "isActive")
	ErrSetupDone      = apiErr(http.StatusConflict, CodeSetupDone, "Setup has already been completed", "")
)

func apiErr(status int, code, msg, field string) *httpx.APIError {
	return &httpx.APIError{Status: status, Code: code, Message: msg, Field: field}
}

// UnknownRoleError is the 400 for a role that does not exist.
func UnknownRoleError(field, role string) *httpx.APIError {
	return apiErr(http.StatusBadRequest, CodeUnknownRole, "Unknown role \""+role+"\"", field)
}
