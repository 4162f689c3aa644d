package inventory

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// Sentinel errors, checked with errors.Is. The HTTP layer maps each to the response in
// the table below, so a given failure always gets the same status, code and message.
var (
	// ErrMissingCredentials: the request carries no X-API-ID or no X-API-KEY header.
	ErrMissingCredentials = errors.New("inventory: agent credentials missing")
	// ErrInvalidCredentials: unknown api_id, wrong api_key, or credentials regenerated or
	// host deleted since they were issued.
	ErrInvalidCredentials = errors.New("inventory: invalid agent credentials")
	// ErrInvalidBootstrapToken: the bootstrap token is unknown, expired or already used.
	ErrInvalidBootstrapToken = errors.New("inventory: invalid or expired bootstrap token")
	// ErrHostNotFound: no host with that id.
	ErrHostNotFound = errors.New("inventory: host not found")
	// ErrHostGroupNotFound: a host group id given for a new host does not exist.
	ErrHostGroupNotFound = errors.New("inventory: host group not found")
	// ErrUnsupportedPlatform: an agent asked for an OS or architecture PatchMon has no
	// agent for.
	ErrUnsupportedPlatform = errors.New("inventory: unsupported agent platform")
	// ErrNoAgentBinary: this build carries no agent binary for the platform.
	ErrNoAgentBinary = errors.New("inventory: no agent binary for this platform")
	// ErrInvalidInput: a request value is out of range; wrapped with details.
	ErrInvalidInput = errors.New("inventory: invalid input")
)

// Stable error codes of this package's API errors.
const (
	CodeMissingCredentials    = "agent_credentials_required"
	CodeInvalidCredentials    = "agent_credentials_invalid"
	CodeInvalidBootstrapToken = "bootstrap_token_invalid"
	CodeInvalidReport         = "invalid_report"
	CodeHostNotFound          = "host_not_found"
	CodeHostGroupNotFound     = "host_group_not_found"
	CodeUnsupportedPlatform   = "unsupported_platform"
	CodeNoAgentBinary         = "agent_binary_not_found"
	CodeViewNotFound          = "host_view_not_found"
)

// Messages of the errors above, as the agent sees them in {"error": ...}.
const (
	msgMissingCredentials = "API ID and Key required"
	msgInvalidCredentials = "Invalid API credentials"
	msgInvalidToken       = "Invalid or expired bootstrap token"
	msgHostNotFound       = "Host not found"
	msgHostGroupNotFound  = "One or more host groups not found"
)

// apiError maps an error of this package to its HTTP response, or returns nil when err
// is not one of ours (the server then answers 500 and logs it).
func apiError(err error) *httpx.APIError {
	var ae *httpx.APIError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, ErrMissingCredentials):
		return httpx.NewError(http.StatusUnauthorized, CodeMissingCredentials, msgMissingCredentials)
	case errors.Is(err, ErrInvalidCredentials):
		return httpx.NewError(http.StatusUnauthorized, CodeInvalidCredentials, msgInvalidCredentials)
	case errors.Is(err, ErrInvalidBootstrapToken):
		return httpx.NewError(http.StatusUnauthorized, CodeInvalidBootstrapToken, msgInvalidToken)
	case errors.Is(err, ErrHostNotFound):
		return httpx.NewError(http.StatusNotFound, CodeHostNotFound, msgHostNotFound)
	case errors.Is(err, ErrHostGroupNotFound):
		return httpx.NewError(http.StatusBadRequest, CodeHostGroupNotFound, msgHostGroupNotFound)
	case errors.Is(err, ErrUnsupportedPlatform):
		return httpx.NewError(http.StatusBadRequest, CodeUnsupportedPlatform, clientMessage(err))
	case errors.Is(err, ErrNoAgentBinary):
		return httpx.NewError(http.StatusNotFound, CodeNoAgentBinary, clientMessage(err))
	case errors.Is(err, ErrInvalidInput):
		ae := httpx.NewError(http.StatusBadRequest, httpx.CodeValidation, clientMessage(err))
		var de *detailError
		if errors.As(err, &de) {
			ae.Field = de.field
		}
		return ae
	}
	return nil
}

// detailError is a sentinel with a message for the client: errors.Is matches the
// sentinel, Error returns the message alone.
type detailError struct {
	kind  error
	msg   string
	field string // the request field at fault, if any
}

func (e *detailError) Error() string { return e.msg }
func (e *detailError) Unwrap() error { return e.kind }

// errorf returns a detailError of kind with a formatted, client-facing message.
func errorf(kind error, format string, args ...any) error {
	return &detailError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// fieldErrorf is errorf about one request field, which the API names in `field`.
func fieldErrorf(kind error, field, format string, args ...any) error {
	return &detailError{kind: kind, msg: fmt.Sprintf(format, args...), field: field}
}

// clientMessage is the message of a detailError, or the sentinel's text without the
// package prefix.
func clientMessage(err error) string {
	var de *detailError
	if errors.As(err, &de) {
		return de.msg
	}
	return strings.TrimPrefix(err.Error(), "inventory: ")
}
