// Package scopes is the permission model of scoped API credentials (api-type tokens of
// pkg/enrollment): explicit resource → actions grants such as {"host": ["get", "delete"]},
// checked per endpoint. There are no wildcards and no implied actions — "get" does not
// include "patch" — and only the resources and actions of the catalogue (Catalogue) are
// accepted when a credential is created or changed.
//
// The catalogue holds the documented host scopes (get, put, patch, update, delete) plus
// read scopes this server adds for the fleet's packages, host groups and compliance
// results. Parse reads "resource:action" strings (the form the OpenAPI x-scope extension
// uses), Validate checks a credential's grants, and Check answers whether a grant set
// allows one scope, with the documented 403 messages when it does not.
//
// Stability: the catalogue only grows; existing resource and action names, and the
// messages of Validate and Check, are a compatibility contract with stored credentials
// and API clients.
package scopes
