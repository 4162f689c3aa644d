// Package alerts raises, tracks and reports fleet alerts: a host down or back up, security
// updates above a threshold, a reboot required, an out-of-date agent, a server update, a
// failed report.
//
// An alert has a type, a severity, a status (open, acknowledged, silenced until a time,
// resolved), an optional assignee and a history of every action. There is at most one
// unresolved alert per host and type (a unique index enforces it, so replicas raising the same
// condition at once create one alert). Each type is configured in alert_config: enabled,
// default severity, delay before firing (host down), threshold (security updates), auto-assign
// user, escalation after N minutes without acknowledgement, and retention days for resolved
// alerts.
//
// Conditions arrive three ways: agent presence and report events on the bus (Service.Listen),
// the periodic host status monitor (Service.Monitor), and the version check (RaiseCondition /
// ResolveCondition). Subscribers learn of alerts created, escalated and resolved through
// Service.OnEvent, a plain callback that notifications use.
//
// Stability: the Service methods, types and constants are stable; the HTTP handlers follow
// the OpenAPI description.
package alerts
