// Package agentkit is the PatchMon agent as a library: it collects what a
// Linux (or FreeBSD) host has installed, what updates are pending and which of
// them fix security issues, together with system, hardware and network facts,
// and reports it to a PatchMon server over the agent protocol
// (spec/agent-protocol.md), exactly as the stock agent does on the wire.
//
// The smallest embedding builds a report without sending it:
//
//	a, err := agentkit.New(agentkit.Config{})
//	if err != nil { ... }
//	report, err := a.BuildReport(ctx)
//
// With a server URL and credentials, Run is the long-lived agent: a
// hash-gated check-in at a per-host offset within the update interval (so a
// fleet spreads its load), only the sections the server asks for, a full
// report every FullReportEvery check-ins, server-driven settings, a WebSocket
// for commands (report_now, settings_update, apply_config, update_agent,
// refresh_integration_status) with keepalive and reconnection, a bounded
// on-disk spool so that no report is lost while the server is unreachable,
// and verified self-update.
//
// What is collected is pluggable: every concern has an interface in package
// collect (packages, repositories, system, hardware, network) and Config
// accepts any implementation; the defaults detect the host's package manager
// (apt, dnf/yum, zypper, apk, pacman or FreeBSD pkg). The agent's files
// (config.yml and credentials.yml) are handled by [LoadFile] and
// [FileConfig]; the command line lives in package agentcli, so programs that
// embed the agent never parse flags or touch /etc.
//
// agentkit imports no server-side package (database drivers, job queues,
// Redis clients, pkg/inventory): a test enforces it, so embedding the agent
// keeps binaries small.
//
// # Stability
//
// Config, Agent, the collect interfaces and the file handling follow semantic
// versioning with the module; fields may be added to Config and to the result
// structs, so build them with field names.
package agentkit
