// Package settings owns the server settings an administrator changes at run time from the
// Settings page: the server URL agents are pointed at (protocol, host, port), the agent
// report interval, global agent auto-update, the ignore-self-signed-certificates switch,
// and branding (dark and light logos and the favicon, stored in the database and served at
// stable URLs).
//
// The settings live in the single-row settings table (migrations 0001, 0003 and 0007);
// other packages read the columns they need directly (pkg/inventory reads the interval,
// auto-update, ignore_ssl_self_signed and server_url for agents and install scripts), so a
// change here applies on the next request of every replica. A changed interval is also
// pushed to connected agents through Config.PushInterval (the server wires pkg/agenthub).
//
// Stability: the HTTP contract is stable. The Go API (Service, API) follows the server's
// wiring and may change between minor versions.
package settings
