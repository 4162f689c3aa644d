package auth

import (
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// CodeTokenExpired tells a client its access token expired and a refresh may help;
// session_expired means signing in again is needed.
const CodeTokenExpired = "token_expired"

// The errors a client sees, one table so messages stay stable.
var (
	ErrAuthRequired       = apiErr(http.StatusUnauthorized, users.CodeUnauthorized, "Authentication required")
	ErrInvalidToken       = apiErr(http.StatusUnauthorized, users.CodeUnauthorized, "Invalid or expired token")
	ErrTokenExpired       = apiErr(http.StatusUnauthorized, CodeTokenExpired, "Access token expired; refresh it or sign in again")
	ErrSessionRevoked     = apiErr(http.StatusUnauthorized, users.CodeSessionExpired, "Session has ended; please sign in again")
	ErrSessionInactive    = apiErr(http.StatusUnauthorized, users.CodeSessionExpired, "Session expired due to inactivity; please sign in again")
	ErrInvalidRefresh     = apiErr(http.StatusUnauthorized, users.CodeInvalidRefresh, "Invalid or expired refresh token; please sign in again")
	ErrInvalidCredentials = apiErr(http.StatusUnauthorized, users.CodeInvalidCredentials, "Invalid username or password")
	ErrAccountDisabled    = apiErr(http.StatusForbidden, users.CodeAccountDisabled, "Account is disabled; contact an administrator")
	ErrAccountDisabled401 = apiErr(http.StatusUnauthorized, users.CodeAccountDisabled, "Account is disabled; contact an administrator")
	ErrLocalAuthDisabled  = apiErr(http.StatusForbidden, users.CodeLocalAuthDisabled, "Password sign-in is disabled; use single sign-on")
	ErrCSRF               = apiErr(http.StatusForbidden, users.CodeCSRF, "Request refused: it did not come from this site (Origin check failed)")
	ErrTFAChallenge       = apiErr(http.StatusUnauthorized, users.CodeTFAChallenge, "Two-factor sign-in expired or is invalid; please sign in again")
	ErrTFAInvalid         = apiErr(http.StatusUnauthorized, users.CodeTFAInvalid, "Invalid two-factor code")
	ErrTFAReplay          = apiErr(http.StatusUnauthorized, users.CodeTFAInvalid, "This code has already been used; wait for the next one")
	ErrTFASetupInvalid    = &httpx.APIError{Status: http.StatusBadRequest, Code: users.CodeTFAInvalid, Message: "Invalid code; check the time on your device and try again", Field: "code"}
	ErrTFAAlreadyOn       = apiErr(http.StatusConflict, users.CodeTFAState, "Two-factor authentication is already enabled")
	ErrTFANotOn           = apiErr(http.StatusBadRequest, users.CodeTFAState, "Two-factor authentication is not enabled")
	ErrTFANoSetup         = apiErr(http.StatusBadRequest, users.CodeTFAState, "Start two-factor setup first")
	ErrTFANoPassword      = apiErr(http.StatusBadRequest, users.CodeTFAState, "Two-factor authentication protects password sign-in; this account signs in through single sign-on")
	ErrWrongPassword      = &httpx.APIError{Status: http.StatusBadRequest, Code: users.CodeInvalidCredentials, Message: "Password is incorrect", Field: "password"}
	ErrWrongCurrent       = &httpx.APIError{Status: http.StatusBadRequest, Code: users.CodeInvalidCredentials, Message: "Current password is incorrect", Field: "currentPassword"}
	ErrSamePassword       = &httpx.APIError{Status: http.StatusBadRequest, Code: users.CodePasswordPolicy, Message: "New password must be different from the current one", Field: "newPassword"}
	ErrPasswordRate       = apiErr(http.StatusTooManyRequests, users.CodeRateLimited, "Too many password change attempts, please try again later")
	ErrSignupDisabled     = apiErr(http.StatusForbidden, users.CodeSignupDisabled, "Sign-up is disabled; ask an administrator for an account")
	ErrSessionNotFound    = apiErr(http.StatusNotFound, users.CodeNotFound, "Session not found")
	ErrDeviceNotFound     = apiErr(http.StatusNotFound, users.CodeNotFound, "Trusted device not found")
	ErrOIDCUnavailable    = apiErr(http.StatusNotFound, users.CodeOIDCUnavailable, "Single sign-on is not configured")
	ErrOIDCHTTPS          = apiErr(http.StatusForbidden, users.CodeOIDCHTTPS, "Single sign-on requires HTTPS in production (NODE_ENV=production)")
	ErrUnavailable        = apiErr(http.StatusServiceUnavailable, httpx.CodeUnavailable, "Server is starting, try again shortly")
)

func apiErr(status int, code, msg string) *httpx.APIError {
	return &httpx.APIError{Status: status, Code: code, Message: msg}
}

// lockedError is the 423 for a locked account; it says how long the lock lasts.
func lockedError(until, now time.Time) *httpx.APIError {
	return apiErr(http.StatusLocked, users.CodeAccountLocked, fmt.Sprintf(
		"Account is locked due to too many failed login attempts. Try again in %s.", minutes(until.Sub(now))))
}

func tfaLockedError(until, now time.Time) *httpx.APIError {
	return apiErr(http.StatusLocked, users.CodeTFALocked, fmt.Sprintf(
		"Too many failed two-factor attempts. Try again in %s.", minutes(until.Sub(now))))
}

func minutes(d time.Duration) string {
	m := int(math.Ceil(d.Minutes()))
	if m <= 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}
