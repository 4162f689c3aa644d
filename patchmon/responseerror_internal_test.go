package patchmon

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A request whose client has gone is not a server error: it is logged at debug level and
// recorded as 499, while a real failure stays a logged 500.
func TestResponseErrorWhenTheClientIsGone(t *testing.T) {
	var logs bytes.Buffer
	s := &Server{log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone := httptest.NewRequest(http.MethodPost, "/api/v1/hosts/update", nil).WithContext(ctx)
	w := httptest.NewRecorder()
	s.responseError(w, gone, context.Canceled)
	assert.Equal(t, statusClientClosedRequest, w.Code)
	assert.Empty(t, logs.String())

	w = httptest.NewRecorder()
	s.responseError(w, httptest.NewRequest(http.MethodPost, "/api/v1/hosts/update", nil), errors.New("disk on fire"))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Contains(t, logs.String(), "level=ERROR")
	assert.Contains(t, logs.String(), "disk on fire")
}
