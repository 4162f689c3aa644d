// Package httpx holds the HTTP plumbing every PatchMon feature shares: the route table that
// mounts the handlers generated from openapi/patchmon.yaml on bunrouter and validates
// requests against the spec, JSON error responses, client-IP resolution behind proxies,
// security headers, CORS, body limits, panic recovery, request logging and rate limits.
//
// Feature packages use WriteJSON/WriteError and the RouteInfo of a request; the server
// package assembles the rest. The API is used inside this module and may still change.
package httpx
