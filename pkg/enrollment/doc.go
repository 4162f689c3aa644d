// Package enrollment implements auto-enrollment and API tokens: the token table and its
// admin CRUD, the one token-authentication function shared by the enrollment endpoints
// and the scoped Integration API (X-Auto-Enrollment-* headers or HTTP Basic), single and
// bulk host enrollment with per-token daily quotas, and the embedded enrollment scripts
// (Proxmox LXC and direct host) served with the server URL and credentials filled in.
//
// Stability: the HTTP behaviour follows the upstream PatchMon documentation and is a
// compatibility contract. The Go API (Service, Authenticate, Token) is used inside this
// module and may still change.
package enrollment
