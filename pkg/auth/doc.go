// Package auth signs users in and keeps them signed in: local sign-in with bcrypt
// passwords and per-account lockout, JWT access tokens (httpOnly cookie or Bearer header),
// rotating refresh tokens stored hashed in a sessions table, server-side inactivity
// expiry, TOTP two-factor authentication with backup codes and trusted devices, OIDC
// single sign-on with PKCE and group-to-role mapping, first-time setup and optional
// self sign-up. It serves those endpoints (Handlers) and provides the middleware that
// enforces the x-permission of every user endpoint (Require).
//
// For other features: the route table wraps every operation whose x-permission is
// "authenticated" or a permission name with Require, so a handler reads the caller with
// UserFrom(ctx) and may check further permissions with Principal.Can. Code outside the
// route table (a WebSocket upgrade) calls Service.AuthenticateRequest.
//
// Accounts, roles, the permission matrix and the audit log live in package users.
//
// Stability: Require, UserFrom, the cookie names and the Service methods used by the
// server are stable; the rest may still change.
package auth
