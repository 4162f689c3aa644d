// Package inventory is the server side of the PatchMon agent protocol and the owner of
// the inventory data model: hosts and their credentials, host groups, the shared package
// and repository catalogues, what each host has installed, report history and fleet
// statistics snapshots (migration 0003_inventory.sql).
//
// A Service authenticates agents (bcrypt once per credential, then a keyed cache),
// records hash-gated check-ins, ingests full and partial reports in one transaction that
// writes only what changed and never deadlocks with concurrent reports, hands out agent
// binaries, install and uninstall scripts and one-time bootstrap tokens, and creates,
// re-keys and deletes hosts. An API serves the agent endpoints of the generated
// openapi.StrictServerInterface; its RequireAgent middleware enforces
// `x-permission: agent`. docs/agent-protocol.md describes the protocol as implemented.
//
// The fleet views serve the dashboard's Packages, Repositories and Host groups pages:
// host group CRUD (HostGroups, CreateHostGroup, DeleteHostGroup, …), the package
// catalogue with per-package host, update and security counts (Packages, Package,
// PackageHosts), the repository catalogue (Repositories, UpdateRepository, …) and a
// streamed export of every package on every host (ExportPackages).
//
// Stability: the wire behaviour is a compatibility contract with deployed agents and
// changes only with the upstream protocol. The Go API (Config, Service, API and their
// methods) is young and may still change between minor versions.
package inventory
