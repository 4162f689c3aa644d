package scopes_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/pkg/scopes"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		want    scopes.Scope
		wantErr string
	}{
		{in: "host:get", want: scopes.Scope{Resource: "host", Action: "get"}},
		{in: "host:delete", want: scopes.Scope{Resource: "host", Action: "delete"}},
		{in: "package:get", want: scopes.Scope{Resource: "package", Action: "get"}},
		{in: "host_group:get", want: scopes.Scope{Resource: "host_group", Action: "get"}},
		{in: "compliance:get", want: scopes.Scope{Resource: "compliance", Action: "get"}},
		{in: "host", wantErr: "want resource:action"},
		{in: ":get", wantErr: "want resource:action"},
		{in: "host:", wantErr: "want resource:action"},
		{in: "hosts:get", wantErr: `unknown resource "hosts"`},
		{in: "package:delete", wantErr: `has no action "delete"`},
		{in: "host:*", wantErr: `has no action "*"`},
	} {
		got, err := scopes.Parse(tc.in)
		if tc.wantErr != "" {
			assert.ErrorContains(t, err, tc.wantErr, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got)
		assert.Equal(t, tc.in, got.String())
	}
	assert.Panics(t, func() { scopes.MustParse("nope") })
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		in      map[string][]string
		wantErr string
	}{
		{"read only", map[string][]string{"host": {"get"}}, ""},
		{"full host access", map[string][]string{"host": {"get", "put", "patch", "update", "delete"}}, ""},
		{"fleet reads", map[string][]string{"package": {"get"}, "host_group": {"get"}, "compliance": {"get"}}, ""},
		{"nil", nil, "At least one scope is required for API credentials"},
		{"empty", map[string][]string{}, "At least one scope is required for API credentials"},
		{"no actions", map[string][]string{"host": {}}, "Scope host must grant at least one action"},
		{"wildcard resource", map[string][]string{"*": {"get"}}, "Wildcard scopes are not allowed: grant each resource explicitly"},
		{"wildcard action", map[string][]string{"host": {"*"}}, "Wildcard actions are not allowed: grant each action of host explicitly"},
		{"glob action", map[string][]string{"host": {"ge?"}}, "Wildcard actions are not allowed"},
		{"unknown resource", map[string][]string{"users": {"get"}}, `Unknown scope resource "users" (known: host, package, host_group, compliance)`},
		{"unknown action", map[string][]string{"package": {"delete"}}, `Unknown action "delete" for scope package (allowed: get)`},
		{"duplicate", map[string][]string{"host": {"get", "get"}}, `Action "get" is listed twice for scope host`},
	} {
		err := scopes.Validate(tc.in)
		if tc.wantErr == "" {
			assert.NoError(t, err, tc.name)
		} else {
			assert.ErrorContains(t, err, tc.wantErr, tc.name)
		}
	}
}

func TestCheckIsExplicit(t *testing.T) {
	t.Parallel()
	set := map[string][]string{"host": {"get", "patch"}}
	require.NoError(t, scopes.Check(set, scopes.MustParse("host:get")))
	require.NoError(t, scopes.Check(set, scopes.MustParse("host:patch")))
	assert.True(t, scopes.Allows(set, scopes.MustParse("host:get")))

	// get does not imply anything else.
	for _, need := range []string{"host:put", "host:update", "host:delete"} {
		err := scopes.Check(set, scopes.MustParse(need))
		var d *scopes.Denied
		require.True(t, errors.As(err, &d), need)
		assert.Equal(t, scopes.CodeNoPermission, d.Code)
		assert.Equal(t, 403, d.Status())
		assert.False(t, scopes.Allows(set, scopes.MustParse(need)))
	}
	err := scopes.Check(set, scopes.MustParse("host:delete"))
	assert.EqualError(t, err, "Access denied: This API key does not have permission to delete host")

	err = scopes.Check(set, scopes.MustParse("package:get"))
	var d *scopes.Denied
	require.True(t, errors.As(err, &d))
	assert.Equal(t, scopes.CodeNoAccess, d.Code)
	assert.Equal(t, "This API key does not have access to package", d.Message)

	// A resource listed with no actions grants nothing.
	err = scopes.Check(map[string][]string{"package": {}}, scopes.MustParse("package:get"))
	require.True(t, errors.As(err, &d))
	assert.Equal(t, scopes.CodeNoAccess, d.Code)
}

func TestNormalizeAndCatalogue(t *testing.T) {
	t.Parallel()
	got := scopes.Normalize(map[string][]string{"host": {"delete", "get", "get", "patch"}, "x": {"b", "a"}})
	assert.Equal(t, scopes.Set{"host": {"get", "patch", "delete"}, "x": {"a", "b"}}, got)

	cat := scopes.Catalogue()
	require.Len(t, cat, 4)
	assert.Equal(t, "host", cat[0].Name)
	assert.Len(t, cat[0].Actions, 5)
	cat[0].Actions[0].Name = "changed" // a copy: the catalogue itself is untouched
	assert.Equal(t, "get", scopes.Catalogue()[0].Actions[0].Name)
	for _, r := range cat {
		for _, a := range r.Actions {
			if r.Name == "host" && a.Name == "changed" {
				continue
			}
			_, err := scopes.Parse(r.Name + ":" + a.Name)
			assert.NoError(t, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"host:get", "package:get", "::", "host:get:x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := scopes.Parse(s)
		if err != nil {
			return
		}
		if sc.String() != s {
			t.Fatalf("Parse(%q) = %v, does not round-trip", s, sc)
		}
		if err := scopes.Validate(map[string][]string{sc.Resource: {sc.Action}}); err != nil {
			t.Fatalf("parsed scope %v does not validate: %v", sc, err)
		}
	})
}
