package settings

import (
	"errors"
	"net/http"

	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// Error codes of this package, stable for clients.
const (
	CodeInvalidSetting = "settings_invalid"
	CodeInvalidFile    = "branding_invalid_file"
	CodeFileTooLarge   = "branding_file_too_large"
)

// ErrInvalid is wrapped by every validation error (errors.Is); the error itself is an
// *httpx.APIError naming the field.
var ErrInvalid = errors.New("settings: invalid value")

// invalidError is a validation error that is both ErrInvalid and an *httpx.APIError.
type invalidError struct{ *httpx.APIError }

func (e invalidError) Unwrap() []error { return []error{ErrInvalid, e.APIError} }

func invalid(code, field, msg string) error {
	return invalidError{&httpx.APIError{Status: http.StatusBadRequest, Code: code, Message: msg, Field: field}}
}
