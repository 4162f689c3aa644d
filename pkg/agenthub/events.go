package agenthub

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/pkg/kv"
	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

// Bus channels. Their messages are the JSON form of the event types below.
const (
	// ChannelStatus carries a StatusEvent for every agent connect and disconnect,
	// published by the replica that saw it (or, for the hosts of a lost replica,
	// by the replica that noticed).
	ChannelStatus = "agents.status"
	// ChannelReports carries a ReportEvent whenever report ingest has stored a
	// report. Package inventory publishes it (see PublishReport).
	ChannelReports = "agents.reports"
	// ChannelCommands carries a CommandEvent for every command sent through a
	// hub.
	ChannelCommands = "agents.commands"
	// ChannelAgentEvents carries an AgentEvent for docker_status and
	// compliance_scan_progress frames from agents.
	ChannelAgentEvents = "agents.events"
)

// SSHChannel is the channel that ssh_proxy_connected, ssh_proxy_data,
// ssh_proxy_closed and ssh_proxy_error frames of one SSH proxy session are
// published on, as AgentEvents. Only the replica serving that session's browser
// terminal needs to subscribe; it must check the event's HostID against the host
// the session was opened for.
func SSHChannel(sessionID string) string { return "agents.ssh." + sessionID }

// Internal channels, per replica.
func commandChannel(replica string) string { return "agents.cmd." + replica }
func replyChannel(replica string) string   { return "agents.reply." + replica }

// controlChannel carries ControlEvents to every replica.
const controlChannel = "agents.control"

// Status is a host's connection state.
type Status string

// Connection states.
const (
	StatusOnline  Status = "online"
	StatusOffline Status = "offline"
)

// Reasons for status changes, as recorded in agent_status_events.
const (
	ReasonConnected   = "connected"       // the agent connected
	ReasonClosed      = "closed"          // the agent closed the connection or it broke
	ReasonIdle        = "idle_timeout"    // nothing received for IdleTimeout
	ReasonReplaced    = "replaced"        // a newer connection of the same host took over
	ReasonShutdown    = "server_shutdown" // the replica shut down gracefully
	ReasonReplicaLost = "replica_lost"    // the replica holding it stopped renewing its liveness
	ReasonRevoked     = "revoked"         // Disconnect: credentials regenerated or host deleted
	ReasonProtocol    = "protocol_error"  // the agent broke the WebSocket protocol or a frame limit
	ReasonReasserted  = "reasserted"      // the holder corrected a record another replica changed
)

// StatusEvent is one agent connect or disconnect.
type StatusEvent struct {
	HostID uuid.UUID `json:"hostId"`
	APIID  string    `json:"apiId"`
	Status Status    `json:"status"`
	// Previous is the recorded status before this event; it equals Status when
	// the event changed nothing (a reconnect that replaced a live connection).
	// Alerting acts on events where the two differ.
	Previous Status    `json:"previous"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
	Secure   bool      `json:"secure"`
	// Replica and ConnectionID identify the connection; they let replicas keep
	// their fleet views consistent.
	Replica      string `json:"replica"`
	ConnectionID string `json:"connectionId"`
}

// ReportEvent says that a host's report was stored.
type ReportEvent struct {
	HostID       uuid.UUID `json:"hostId"`
	APIID        string    `json:"apiId"`
	FriendlyName string    `json:"friendlyName,omitempty"`
	// Kind is "full" or "partial".
	Kind              string    `json:"kind"`
	PackagesProcessed int       `json:"packagesProcessed"`
	UpdatesAvailable  int       `json:"updatesAvailable"`
	SecurityUpdates   int       `json:"securityUpdates"`
	NeedsReboot       bool      `json:"needsReboot"`
	At                time.Time `json:"at"`
}

// PublishReport announces ev on ChannelReports. Report ingest calls it after the
// report's transaction has committed; a failure to publish only delays the
// dashboard, so callers log it rather than fail the report.
func PublishReport(ctx context.Context, bus kv.Bus, ev ReportEvent) error {
	if ev.At.IsZero() {
		ev.At = time.Now().UTC()
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return bus.Publish(ctx, ChannelReports, b)
}

// CommandEvent records one command sent through a hub and what became of it.
type CommandEvent struct {
	ID        string       `json:"id"`
	Command   wsproto.Type `json:"command"`
	Target    Target       `json:"target"`
	Delivered int          `json:"delivered"`
	Offline   int          `json:"offline"`
	Failed    int          `json:"failed"`
	// Deliveries lists each host's outcome, unless there are more than
	// maxEventDeliveries (then Truncated is set and only the counts are given).
	Deliveries []Delivery `json:"deliveries,omitempty"`
	Truncated  bool       `json:"truncated,omitempty"`
	At         time.Time  `json:"at"`
}

// maxEventDeliveries bounds the per-host list in a CommandEvent, so a fleet-wide
// command does not push megabytes to every dashboard.
const maxEventDeliveries = 500

// AgentEvent is a frame an agent sent, as the hub received it.
type AgentEvent struct {
	HostID uuid.UUID    `json:"hostId"`
	APIID  string       `json:"apiId"`
	Type   wsproto.Type `json:"type"`
	// Frame is the frame re-encoded by wsproto (so it holds only known fields).
	Frame json.RawMessage `json:"frame"`
	At    time.Time       `json:"at"`
}

// ControlEvent asks every replica to act on its local connections.
type controlEvent struct {
	// Op is "disconnect".
	Op     string    `json:"op"`
	HostID uuid.UUID `json:"hostId"`
	Reason string    `json:"reason"`
}
