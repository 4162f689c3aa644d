package integrationapi

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/scopes"
)

func TestRouteScope(t *testing.T) {
	t.Parallel()
	info := func(ext map[string]any) httpx.RouteInfo {
		return httpx.RouteInfo{Method: "GET", Pattern: "/api/v1/api/x", OperationID: "x",
			Operation: &openapi3.Operation{Extensions: ext}}
	}
	sc, err := RouteScope(info(map[string]any{"x-scope": "host:get"}))
	require.NoError(t, err)
	assert.Equal(t, scopes.Scope{Resource: "host", Action: "get"}, sc)

	_, err = RouteScope(info(nil))
	assert.ErrorContains(t, err, "has x-permission api but no x-scope")
	_, err = RouteScope(httpx.RouteInfo{OperationID: "y"})
	assert.ErrorContains(t, err, "no x-scope")
	_, err = RouteScope(info(map[string]any{"x-scope": "host:*"}))
	assert.ErrorContains(t, err, `x-scope: scope "host:*"`)
}

func TestGroupFilterAndHelpers(t *testing.T) {
	t.Parallel()
	f := parseGroupFilter(" Production, ,550e8400-e29b-41d4-a716-446655440000,Web Servers ,")
	assert.Equal(t, []string{"Production", "550e8400-e29b-41d4-a716-446655440000", "Web Servers"}, f.given)
	assert.Equal(t, f.given, f.names, "a UUID is also tried as a name")
	require.Len(t, f.ids, 1)
	assert.Empty(t, parseGroupFilter(" , ").given)

	assert.Equal(t, `50\%\_off\\`, likeEscape(`50%_off\`))
	gb := 7.75
	assert.Equal(t, "7936 MB", *megabytes(&gb))
	assert.Nil(t, megabytes(nil))
	for state, want := range map[string]string{"available": "waiting", "pending": "waiting", "running": "active",
		"scheduled": "delayed", "retryable": "delayed", "completed": "completed", "cancelled": "cancelled", "discarded": "failed"} {
		assert.Equal(t, want, string(jobStatus(state)), state)
	}
	t1 := "true"
	t2 := " TRUE "
	no := "yes"
	assert.True(t, isTrue(&t1))
	assert.True(t, isTrue(&t2))
	assert.False(t, isTrue(&no))
	assert.False(t, isTrue(nil))
}
