package patchmon_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/patchmon"
	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
	"github.com/patchmon-go/patchmon/pkg/auth/authtest"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// specOperation is one operation of the API description.
type specOperation struct {
	method, path, id, permission string
	op                           *openapi3.Operation
	item                         *openapi3.PathItem
}

func specOperations(t *testing.T) []specOperation {
	doc, err := openapi.LoadSpec()
	require.NoError(t, err)
	var ops []specOperation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			perm, _ := op.Extensions["x-permission"].(string)
			ops = append(ops, specOperation{method: method, path: path, id: op.OperationID, permission: perm, op: op, item: item})
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].path != ops[j].path {
			return ops[i].path < ops[j].path
		}
		return ops[i].method < ops[j].method
	})
	return ops
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// concreteURL fills path parameters with values of the right shape that name nothing.
func (o specOperation) concreteURL(base string) string {
	params := append(openapi3.Parameters{}, o.item.Parameters...)
	params = append(params, o.op.Parameters...)
	return base + pathParam.ReplaceAllStringFunc(o.path, func(m string) string {
		name := m[1 : len(m)-1]
		if p := params.GetByInAndName(openapi3.ParameterInPath, name); p != nil && p.Schema != nil && p.Schema.Value != nil {
			s := p.Schema.Value
			switch {
			case s.Format == "uuid":
				return "00000000-0000-4000-8000-000000000000"
			case s.Type.Is("integer"), s.Type.Is("number"):
				return "987654"
			case len(s.Enum) > 0:
				if v, ok := s.Enum[0].(string); ok {
					return v
				}
			}
		}
		return "dummy-" + strings.ToLower(name)
	})
}

// Every operation must say who may call it; a server with an operation that does not is
// never built (TestMissingPermissionStopsTheServer).
func TestEveryOperationDeclaresAPermission(t *testing.T) {
	t.Parallel()
	for _, o := range specOperations(t) {
		ok := o.permission == "public" || o.permission == "agent" || o.permission == "enrollment" ||
			o.permission == "api" || o.permission == "gethomepage" ||
			o.permission == "authenticated" || users.IsPermission(o.permission)
		assert.True(t, ok, "%s %s (%s): x-permission %q is missing or unknown", o.method, o.path, o.id, o.permission)
	}
}

type matrixResult struct {
	status int
	code   string
}

func callAs(t *testing.T, method, url, authorization string) matrixResult {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	require.NoError(t, err)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	var e struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(b, &e)
	return matrixResult{status: res.StatusCode, code: e.Code}
}

// TestAuthorizationMatrix calls every operation of the spec anonymously and as each
// built-in role and checks what x-permission promises: 401 for anonymous callers (and
// for users on agent endpoints), 403 for users whose role lacks the permission, and
// neither for users who hold it. It is driven by the spec, so operations added later are
// covered without changes here.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	cfg := patchmon.DefaultConfig()
	cfg.RateLimitMax, cfg.AuthRateLimitMax, cfg.AgentRateLimitMax = 1_000_000, 1_000_000, 1_000_000
	cfg.NodeEnv = "development"
	cfg.PasswordHashCost = 4
	srv := patchmontest.NewServer(t, cfg)

	sessions := map[string]authtest.Session{users.RoleSuperAdmin: authtest.Setup(t, srv.URL)}
	for _, role := range users.BuiltinRoles[1:] {
		sessions[role] = authtest.CreateUser(t, srv.URL, sessions[users.RoleSuperAdmin], role)
	}
	// Some operations end the caller's sessions (logout-all); sign in again when they did.
	ensure := func(role string) authtest.Session {
		s := sessions[role]
		if callAs(t, http.MethodGet, srv.URL+"/api/v1/auth/profile", s.Header()).status == http.StatusUnauthorized {
			s2 := authtest.Login(t, srv.URL, s.Username, s.Password)
			s2.Role = role
			sessions[role] = s2
			s = s2
		}
		return s
	}

	covered := 0
	for _, o := range specOperations(t) {
		url := o.concreteURL(srv.URL)
		name := o.method + " " + o.path
		switch {
		case o.permission == "public":
			continue
		case o.permission == "agent" || o.permission == "enrollment" || o.permission == "api" || o.permission == "gethomepage":
			anon := callAs(t, o.method, url, "")
			assert.Equal(t, http.StatusUnauthorized, anon.status, "%s anonymously", name)
			for _, role := range users.BuiltinRoles {
				got := callAs(t, o.method, url, ensure(role).Header())
				assert.Equal(t, http.StatusUnauthorized, got.status, "%s as %s: users are not agents or tokens", name, role)
			}
		case o.permission == "authenticated" || users.IsPermission(o.permission):
			anon := callAs(t, o.method, url, "")
			assert.Equal(t, http.StatusUnauthorized, anon.status, "%s anonymously", name)
			for _, role := range users.BuiltinRoles {
				got := callAs(t, o.method, url, ensure(role).Header())
				allowed := o.permission == "authenticated" || users.DefaultGrant(role, o.permission)
				if allowed {
					assert.NotContains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, got.status,
						"%s as %s (holds %s): got %d %s", name, role, o.permission, got.status, got.code)
				} else {
					assert.Equal(t, http.StatusForbidden, got.status, "%s as %s (lacks %s)", name, role, o.permission)
					assert.Equal(t, users.CodeForbidden, got.code, "%s as %s", name, role)
				}
			}
		default:
			t.Errorf("%s: x-permission %q has no expectation in this test; teach it the new kind", name, o.permission)
		}
		covered++
	}
	require.Greater(t, covered, 30, "the matrix covers the user endpoints")
}
