// Package integrationapi serves the scoped Integration API (/api/v1/api/...) and the
// GetHomepage widget endpoints (/api/v1/gethomepage/...): read-only views of the
// inventory, plus host deletion, for tools that authenticate with HTTP Basic credentials
// of api or gethomepage tokens (pkg/enrollment authenticates them; pkg/scopes decides
// what an api token may do).
//
// The response shapes, field names, status codes and error messages are those of the
// upstream PatchMon documentation, so existing scripts (the Ansible dynamic inventory,
// GetHomepage customapi widgets, curl one-liners) work unchanged. The package reads the
// inventory tables (migration 0003) with its own queries and never writes them, except
// for DELETE /hosts/:id.
//
// Stability: the HTTP contract is stable. The Go API (Service, API, RequireScope) follows
// the server's wiring and may change between minor versions.
package integrationapi
