package agenthub

import (
	"errors"
	"net/http"

	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrMissingCredentials: the upgrade request lacks X-API-ID or X-API-KEY.
	ErrMissingCredentials = errors.New("agenthub: agent credentials missing")
	// ErrInvalidCredentials is what an Authenticator returns for an unknown
	// api_id or a wrong api_key.
	ErrInvalidCredentials = errors.New("agenthub: invalid agent credentials")
	// ErrHostNotFound: no host with that id or api_id. An Authenticator may
	// return it for credentials of a host that no longer exists.
	ErrHostNotFound = errors.New("agenthub: host not found")
	// ErrGroupNotFound: a target names a host group that does not exist.
	ErrGroupNotFound = errors.New("agenthub: host group not found")
	// ErrNoTarget: a command names no host, no group and not the fleet.
	ErrNoTarget = errors.New("agenthub: command has no target")
	// ErrNotRunning: the hub has not been started or is shutting down.
	ErrNotRunning = errors.New("agenthub: hub not running")
)

// Stable error codes of this package's API errors.
const (
	CodeMissingCredentials = "agent_credentials_required"
	CodeInvalidCredentials = "agent_credentials_invalid"
	CodeHostNotFound       = "host_not_found"
	CodeGroupNotFound      = "host_group_not_found"
	CodeNoTarget           = "command_target_required"
	CodeUpgradeRequired    = "websocket_upgrade_required"
	CodeOriginForbidden    = "origin_forbidden"
)

// apiError maps an error of this package to its HTTP response, or nil for errors that
// are not the client's (the server answers those with 500 and logs them).
func apiError(err error) *httpx.APIError {
	var ae *httpx.APIError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, ErrMissingCredentials):
		return httpx.NewError(http.StatusUnauthorized, CodeMissingCredentials, "API ID and Key required")
	case errors.Is(err, ErrInvalidCredentials):
		return httpx.NewError(http.StatusUnauthorized, CodeInvalidCredentials, "Invalid API credentials")
	case errors.Is(err, ErrHostNotFound):
		return httpx.NewError(http.StatusNotFound, CodeHostNotFound, "Host not found")
	case errors.Is(err, ErrGroupNotFound):
		return httpx.NewError(http.StatusNotFound, CodeGroupNotFound, "One or more host groups not found")
	case errors.Is(err, ErrNoTarget):
		return httpx.NewError(http.StatusBadRequest, CodeNoTarget, "Name at least one host or group, or set all")
	case errors.Is(err, ErrNotRunning):
		return httpx.NewError(http.StatusServiceUnavailable, httpx.CodeUnavailable, "Server is starting, try again shortly")
	}
	return nil
}

// writeError renders err for the handlers that run outside the generated strict layer.
func writeError(w http.ResponseWriter, err error) {
	ae := apiError(err)
	if ae == nil {
		ae = httpx.NewError(http.StatusInternalServerError, httpx.CodeInternal, "Internal server error")
	}
	httpx.WriteJSON(w, ae.Status, httpx.Error{Message: ae.Message, Code: ae.Code, Field: ae.Field})
}
