package patchmon

import (
	"fmt"
	"net/http"

	"github.com/patchmon-go/patchmon/pkg/enrollment"
	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/integrationapi"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// Every operation in the spec declares who may call it with the x-permission extension:
//
//	public          anyone (health, login, the agent installer script)
//	agent           an enrolled host, by its X-API-ID / X-API-KEY headers
//	enrollment      an auto-enrollment token, by its X-Auto-Enrollment-Key / -Secret headers
//	api             an api token by HTTP Basic, holding the operation's x-scope (resource:action)
//	gethomepage     a gethomepage token by HTTP Basic
//	authenticated   any signed-in user
//	can_…           a signed-in user whose role grants that permission
//
// The spec is therefore the one declarative table of endpoint permissions. An operation
// without x-permission, or with a kind nobody enforces, stops the server from being built:
// authorisation fails closed.

// authorizer returns the middleware that enforces a route's x-permission.
func (s *Server) authorizer(info httpx.RouteInfo, next http.Handler) (http.Handler, error) {
	switch info.Permission {
	case "":
		return nil, fmt.Errorf("openapi: %s %s (%s) declares no x-permission", info.Method, info.Pattern, info.OperationID)
	case "public":
		return next, nil
	case "agent":
		return s.inventory.RequireAgent(next), nil
	case "enrollment":
		return s.enrollment.RequireToken(enrollment.EnrollmentCredentials, next), nil
	case "api":
		// Basic credentials of an api token, then the operation's x-scope (checked last,
		// as documented).
		need, err := integrationapi.RouteScope(info)
		if err != nil {
			return nil, err
		}
		return s.enrollment.RequireToken(enrollment.BasicCredentialsFor(enrollment.TypeAPI),
			integrationapi.RequireScope(need, next)), nil
	case "gethomepage":
		return s.enrollment.RequireToken(enrollment.BasicCredentialsFor(enrollment.TypeGetHomepage), next), nil
	case "authenticated":
		return s.requireUser("", next), nil
	}
	if users.IsPermission(info.Permission) {
		return s.requireUser(info.Permission, next), nil
	}
	return nil, fmt.Errorf("openapi: %s %s (%s): no enforcer for x-permission %q", info.Method, info.Pattern, info.OperationID, info.Permission)
}
