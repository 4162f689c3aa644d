package users

import (
	"context"
	"slices"

	"github.com/google/uuid"
)

// Principal is the signed-in user a request is made by, with the permissions their role
// grants at the time of the request.
type Principal struct {
	UserID    uuid.UUID
	Username  string
	Email     string
	Role      string
	SessionID uuid.UUID
	// Permissions is sorted; use Can to test one.
	Permissions []string
}

// Can reports whether the principal holds perm.
func (p *Principal) Can(perm string) bool {
	if p == nil {
		return false
	}
	_, ok := slices.BinarySearch(p.Permissions, perm)
	return ok
}

// IsSuperAdmin reports whether the principal has the superadmin role.
func (p *Principal) IsSuperAdmin() bool { return p != nil && p.Role == RoleSuperAdmin }

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the signed-in user of a request, or nil and false for anonymous
// requests (and agent requests, which are not users).
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}
