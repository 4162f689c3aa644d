package enrollment

import (
	"net/http"

	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// Error codes of this package, stable for clients.
const (
	CodeCredentialsRequired = "enrollment_credentials_required"
	CodeInvalidToken        = "enrollment_invalid_token"
	CodeTokenExpired        = "enrollment_token_expired"
	CodeInvalidSecret       = "enrollment_invalid_secret"
	CodeWrongTokenType      = "enrollment_wrong_token_type"
	CodeIPNotAllowed        = "enrollment_ip_not_allowed"
	CodeQuotaExceeded       = "enrollment_quota_exceeded"
	CodeTokenNotFound       = "enrollment_token_not_found"
	CodeInvalidScriptType   = "enrollment_invalid_script_type"

	CodeAuthHeader     = "api_auth_header"
	CodeAuthFormat     = "api_auth_format"
	CodeInvalidAPIKey  = "api_invalid_key"
	CodeKeyDisabled    = "api_key_disabled"
	CodeKeyExpired     = "api_key_expired"
	CodeInvalidType    = "api_invalid_key_type"
	CodeInvalidSecret2 = "api_invalid_secret"
	CodeIPNotAllowed2  = "api_ip_not_allowed"
	CodeAuthFailed     = "api_auth_failed"
)

func apiErr(status int, code, msg string) *httpx.APIError {
	return &httpx.APIError{Status: status, Code: code, Message: msg}
}

// Errors of the enrollment endpoints (X-Auto-Enrollment-Key / -Secret), with the
// messages of the upstream documentation.
var (
	ErrCredentialsRequired = apiErr(http.StatusUnauthorized, CodeCredentialsRequired, "Auto-enrollment credentials required")
	ErrInvalidToken        = apiErr(http.StatusUnauthorized, CodeInvalidToken, "Invalid or inactive token")
	ErrTokenExpired        = apiErr(http.StatusUnauthorized, CodeTokenExpired, "Token expired")
	ErrInvalidSecret       = apiErr(http.StatusUnauthorized, CodeInvalidSecret, "Invalid token secret")
	ErrNotEnrollmentToken  = apiErr(http.StatusUnauthorized, CodeWrongTokenType, "Token is not an auto-enrollment token")
	ErrIPNotAuthorized     = apiErr(http.StatusForbidden, CodeIPNotAllowed, "IP address not authorized for this token")
)

// Errors of Basic-authenticated credentials (the Integration API and GetHomepage), with
// the messages of the upstream documentation.
var (
	ErrAuthHeader       = apiErr(http.StatusUnauthorized, CodeAuthHeader, "Missing or invalid authorization header")
	ErrAuthFormat       = apiErr(http.StatusUnauthorized, CodeAuthFormat, "Invalid credentials format")
	ErrInvalidAPIKey    = apiErr(http.StatusUnauthorized, CodeInvalidAPIKey, "Invalid API key")
	ErrKeyDisabled      = apiErr(http.StatusUnauthorized, CodeKeyDisabled, "API key is disabled")
	ErrKeyExpired       = apiErr(http.StatusUnauthorized, CodeKeyExpired, "API key has expired")
	ErrInvalidType      = apiErr(http.StatusUnauthorized, CodeInvalidType, "Invalid API key type")
	ErrInvalidAPISecret = apiErr(http.StatusUnauthorized, CodeInvalidSecret2, "Invalid API secret")
	ErrIPNotAllowed     = apiErr(http.StatusForbidden, CodeIPNotAllowed2, "IP address not allowed")
	ErrAuthFailed       = apiErr(http.StatusInternalServerError, CodeAuthFailed, "Authentication failed")
)

// Errors of the admin and enrollment endpoints.
var (
	ErrTokenNotFound     = apiErr(http.StatusNotFound, CodeTokenNotFound, "Token not found")
	ErrInvalidScriptType = apiErr(http.StatusBadRequest, CodeInvalidScriptType, "Invalid or missing script type. Use type=proxmox-lxc or type=direct-host")
)

// QuotaError is the 429 of an exhausted daily host quota: {"error": "Rate limit
// exceeded", "message": Message}.
type QuotaError struct {
	Message string
}

func (e *QuotaError) Error() string { return "Rate limit exceeded: " + e.Message }

// ValidationError lists the problems with a request body. It renders as
// {"error": first message, "code": "validation_error", "field": first param,
// "errors": [{"msg", "param", "location"}]}.
type ValidationError struct {
	Problems []Problem
}

// Problem is one invalid field.
type Problem struct {
	Msg      string `json:"msg"`
	Param    string `json:"param"`
	Location string `json:"location"`
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 0 {
		return "validation failed"
	}
	return e.Problems[0].Msg
}

func (e *ValidationError) add(param, msg string) {
	e.Problems = append(e.Problems, Problem{Msg: msg, Param: param, Location: "body"})
}

// orNil returns e when it holds a problem.
func (e *ValidationError) orNil() error {
	if len(e.Problems) == 0 {
		return nil
	}
	return e
}
