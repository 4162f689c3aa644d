package patchmon

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// An operation without x-permission, or with a permission nobody knows, must stop the
// server from being built: authorisation fails closed.
func TestMissingPermissionStopsTheServer(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	s, err := New(DefaultConfig())
	require.NoError(t, err)
	for _, perm := range []string{"", "can_do_anything", "admin"} {
		_, err := s.authorizer(httpx.RouteInfo{Method: "GET", Pattern: "/api/v1/x", OperationID: "x", Permission: perm}, ok)
		assert.Error(t, err, "x-permission %q", perm)
	}
	for _, perm := range []string{"public", "authenticated", "can_view_hosts"} {
		_, err := s.authorizer(httpx.RouteInfo{Method: "GET", Pattern: "/api/v1/x", OperationID: "x", Permission: perm}, ok)
		assert.NoError(t, err, "x-permission %q", perm)
	}

	// The whole server: drop the declaration from one operation of the real spec.
	spec, err := openapi.LoadSpec()
	require.NoError(t, err)
	op := spec.Paths.Value("/api/v1/auth/profile").Get
	require.NotNil(t, op)
	delete(op.Extensions, "x-permission")
	s.spec = spec
	err = s.buildHandler()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "authGetProfile")
	assert.Contains(t, err.Error(), "declares no x-permission")
}
