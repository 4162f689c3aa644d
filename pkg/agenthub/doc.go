// Package agenthub is PatchMon's real-time layer: it holds the agents' WebSocket
// connections (GET /api/v1/agents/ws), knows which hosts are online across every
// server replica, delivers server → agent commands to one host, a host group or
// the whole fleet, and streams live events to the browser dashboard
// (GET /api/v1/ws/events).
//
// # Connections
//
// An agent's credentials are checked through the [Authenticator] before the
// connection is upgraded, so a bad or missing key gets 401 (an unknown host 404)
// and no WebSocket ever exists for it. Frames are decoded with package wsproto,
// limited to 64 KiB; unknown frame types are logged and skipped. The agent pings
// every 30 s and the hub pings back on the same period; a connection with no
// traffic for 90 s is closed and the host goes offline.
//
// # Presence across replicas
//
// Each server process is one replica with a random id. The replica holding a
// connection records connects and disconnects in PostgreSQL (agent_presence and
// the agent_status_events history, written in small batches) and announces them
// on the kv.Bus channel [ChannelStatus]; every replica keeps an in-memory view of
// the fleet from those events, reconciled with the database periodically. A
// replica renews a liveness key in the kv.Cache (Redis when configured) every
// few seconds; when the key of a replica that holds connections expires, any
// other replica marks that replica's hosts offline, so a crashed replica leaves
// no ghost "online" hosts. Without Redis the in-process kv store serves one node
// with the same code.
//
// # Commands
//
// [Hub.Send] and [Hub.SendTo] deliver any wsproto server → agent frame. A host
// connected to this replica is written to directly; a host on another replica is
// reached through that replica's command channel on the bus, and its answer comes
// back on this replica's reply channel. Each host's [Delivery] says delivered,
// offline or failed.
//
// # Events
//
// Other features publish and subscribe on the bus channels [ChannelStatus],
// [ChannelReports], [ChannelCommands] and [ChannelAgentEvents], with the JSON
// types of this package; SSH proxy frames from agents go to [SSHChannel] of their
// session. The browser stream forwards them to signed-in users, filtered by
// permission.
//
// # Stability
//
// The Go API is used inside this module and may still change. The bus channel
// names and event JSON are a contract between replicas of different versions
// during a rolling upgrade: fields are only ever added.
package agenthub
