package httpx

import (
	"encoding/json"
	"errors"
	"net/http"
)

// Error is the JSON body of every error response: {"error": "...", "code": "...", "field": "..."}.
type Error struct {
	Message string `json:"error"`
	Code    string `json:"code,omitempty"`
	Field   string `json:"field,omitempty"`
}

// Stable error codes used by the shared plumbing. Feature packages define their own next to
// their sentinel errors.
const (
	CodeValidation      = "validation_error"
	CodeBodyTooLarge    = "body_too_large"
	CodeRateLimited     = "rate_limited"
	CodeNotFound        = "not_found"
	CodeMethodNotAllowd = "method_not_allowed"
	CodeInternal        = "internal_error"
	CodeUnavailable     = "service_unavailable"
	CodeBadEncoding     = "unsupported_content_encoding"
)

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError writes {"error": msg, "code": code}.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	WriteJSON(w, status, Error{Message: msg, Code: code})
}

// BodyTooLargeMessage is the error text for a request over its body limit.
func BodyTooLargeMessage(limit int64) string {
	return "Request body too large: the limit for this endpoint is " + formatBytes(limit)
}

// IsBodyTooLarge reports whether err comes from reading past a body limit.
func IsBodyTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return itoa(n>>20) + "mb"
	case n >= 1<<10 && n%(1<<10) == 0:
		return itoa(n>>10) + "kb"
	}
	return itoa(n) + " bytes"
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// APIError is an error that maps to a specific HTTP response. Handlers return it (or wrap
// it) and the server writes {"error": Message, "code": Code, "field": Field} with Status.
type APIError struct {
	Status  int
	Code    string
	Message string
	Field   string
}

func (e *APIError) Error() string { return e.Message }

// NewError returns an *APIError.
func NewError(status int, code, msg string) *APIError {
	return &APIError{Status: status, Code: code, Message: msg}
}
