package agenthub

import (
	"context"
	"time"

	"github.com/patchmon-go/patchmon/pkg/db"
)

// PresenceWrite is one connect (Online) or disconnect for the store tests.
type PresenceWrite struct {
	Online     bool
	Host       HostRef
	ConnID     string
	At         time.Time
	Reason     string
	Secure     bool
	RemoteAddr string
}

// PresenceOutcome is what the store reported for one write.
type PresenceOutcome struct {
	Applied  bool
	Previous Status
}

// ApplyPresence runs writes through the store as the hub's presence writer does.
func ApplyPresence(ctx context.Context, d *db.DB, replica string, writes []PresenceWrite) ([]PresenceOutcome, error) {
	ops := make([]presenceOp, len(writes))
	for i, w := range writes {
		ops[i] = presenceOp{online: w.Online, host: w.Host, connID: w.ConnID, at: w.At, reason: w.Reason, secure: w.Secure, remoteAddr: w.RemoteAddr}
	}
	res, err := (&store{db: d}).applyPresence(ctx, replica, ops)
	out := make([]PresenceOutcome, len(res))
	for i, r := range res {
		out[i] = PresenceOutcome{Applied: r.applied, Previous: r.previous}
	}
	return out, err
}
