// Package users owns PatchMon's accounts and what they may do: users, roles, the
// permission matrix (role_permissions), the password policy, the security audit log and
// the run-time authentication settings, with their Postgres store and the administration
// endpoints (admin user CRUD, roles, audit log).
//
// Signing in, sessions, 2FA and single sign-on live in package auth, which builds on this
// one. Other features read the signed-in user with PrincipalFrom (or auth.UserFrom) and
// declare the permission an endpoint needs with x-permission in openapi/patchmon.yaml;
// every permission name must be in Catalogue.
//
// Stability: Principal, the permission constants and Catalogue are stable; the Service
// API may still grow.
package users
