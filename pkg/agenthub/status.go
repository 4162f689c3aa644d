package agenthub

import (
	"context"
	"sort"
	"time"

	"github.com/google/uuid"
)

// HostStatus is a host's WebSocket presence.
type HostStatus struct {
	Host         HostRef
	FriendlyName string
	// Connected reports whether the agent holds a WebSocket on any live replica.
	Connected bool
	// Secure reports whether the current (or last) connection used TLS.
	Secure bool
	// ConnectedAt is when the current (or last) connection was made; zero if
	// the agent never connected.
	ConnectedAt time.Time
	// DisconnectedAt and DisconnectReason describe the last disconnect, when
	// the host is offline.
	DisconnectedAt   *time.Time
	DisconnectReason string
	// Replica holds the connection, when connected.
	Replica string
	// History lists the latest status transitions, newest first.
	History []Transition
}

// Transition is one recorded change of a host's status.
type Transition struct {
	Status  Status
	Reason  string
	Replica string
	At      time.Time
}

// historyLimit is how many transitions a HostStatus carries.
const historyLimit = 20

// StatusByAPIID returns the presence of the host with apiID, or ErrHostNotFound.
func (h *Hub) StatusByAPIID(ctx context.Context, apiID string) (HostStatus, error) {
	p, err := h.store.presenceByAPIID(ctx, apiID)
	if err != nil {
		return HostStatus{}, err
	}
	return h.status(ctx, p)
}

// StatusByHostID returns the presence of the host with id, or ErrHostNotFound.
func (h *Hub) StatusByHostID(ctx context.Context, id uuid.UUID) (HostStatus, error) {
	p, err := h.store.presenceByID(ctx, id)
	if err != nil {
		return HostStatus{}, err
	}
	return h.status(ctx, p)
}

// status combines the recorded presence with the fleet view, which is what
// routing uses and which already excludes lost replicas.
func (h *Hub) status(ctx context.Context, p hostPresence) (HostStatus, error) {
	st := HostStatus{Host: p.host, FriendlyName: p.friendlyName, Secure: p.secure, ConnectedAt: p.connectedAt}
	if e, ok := h.fleet.get(p.host.ID); ok {
		st.Connected, st.Secure, st.ConnectedAt, st.Replica = true, e.secure, e.since.UTC(), e.replica
	} else if p.known {
		st.DisconnectedAt, st.DisconnectReason = p.disconnectedAt, p.reason
		if p.status == StatusOnline {
			// Recorded online but unknown to the fleet view: the holder is
			// lost and has not been swept yet.
			st.DisconnectReason = ReasonReplicaLost
		}
	}
	hist, err := h.store.history(ctx, p.host.ID, historyLimit)
	if err != nil {
		return HostStatus{}, err
	}
	for _, e := range hist {
		st.History = append(st.History, Transition(e))
	}
	return st, nil
}

// Summary is the fleet's presence.
type Summary struct {
	// Connected counts hosts with a WebSocket on a live replica.
	Connected int
	// Total counts all hosts.
	Total int
	// Offline is Total - Connected.
	Offline int
	// Replicas lists the live replicas that hold connections, this one first.
	Replicas []ReplicaSummary
}

// ReplicaSummary is one replica's share of the connections.
type ReplicaSummary struct {
	ID          string
	Connections int
	Self        bool
}

// Summary returns the fleet's presence as this replica knows it.
func (h *Hub) Summary(ctx context.Context) (Summary, error) {
	total, err := h.store.countHosts(ctx)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{Total: total}
	for id, n := range h.fleet.replicas() {
		s.Connected += n
		s.Replicas = append(s.Replicas, ReplicaSummary{ID: id, Connections: n, Self: id == h.replica})
	}
	if !hasSelf(s.Replicas) {
		s.Replicas = append(s.Replicas, ReplicaSummary{ID: h.replica, Self: true})
	}
	sort.Slice(s.Replicas, func(i, j int) bool {
		a, b := s.Replicas[i], s.Replicas[j]
		if a.Self != b.Self {
			return a.Self
		}
		return a.ID < b.ID
	})
	// The fleet view may briefly count a host deleted since.
	s.Connected = min(s.Connected, s.Total)
	s.Offline = s.Total - s.Connected
	return s, nil
}

func hasSelf(rs []ReplicaSummary) bool {
	for _, r := range rs {
		if r.Self {
			return true
		}
	}
	return false
}
