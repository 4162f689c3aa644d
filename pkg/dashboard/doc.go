// Package dashboard serves the dashboard's data: fleet totals and the OS distribution
// (computed live from the hosts and host_packages tables), update trends over time (from
// the fleet_stats_snapshots that the server records every 30 minutes), the newest agent
// reports (update_history), and each user's card layout (dashboard_preferences,
// migration 0007).
//
// The card catalogue (Cards) is the list of card ids a layout may name; the browser
// dashboard renders the same ids. Statistics queries read denormalised host counters and
// the partial index of outdated host packages, so they stay fast on large fleets (see
// BenchmarkStats).
//
// Stability: the HTTP contract is stable. The Go API (Service, API) follows the server's
// wiring and may change between minor versions.
package dashboard
