package agenthub

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/google/uuid"
)

// fleetEntry is where one online host is connected.
type fleetEntry struct {
	apiID   string
	replica string
	connID  string
	since   time.Time
	secure  bool
}

// fleetView is this replica's picture of which hosts are online where, fed by
// StatusEvents and reconciled with the database.
type fleetView struct {
	mu    sync.RWMutex
	hosts map[uuid.UUID]fleetEntry
}

func newFleetView() *fleetView { return &fleetView{hosts: map[uuid.UUID]fleetEntry{}} }

func (f *fleetView) get(id uuid.UUID) (fleetEntry, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	e, ok := f.hosts[id]
	return e, ok
}

// set records a connection unless the view already knows a newer one.
func (f *fleetView) set(id uuid.UUID, e fleetEntry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cur, ok := f.hosts[id]; ok && cur.connID != e.connID && cur.since.After(e.since) {
		return
	}
	f.hosts[id] = e
}

// remove forgets a connection if it is still the one recorded.
func (f *fleetView) remove(id uuid.UUID, connID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cur, ok := f.hosts[id]; ok && cur.connID == connID {
		delete(f.hosts, id)
	}
}

// dropReplica forgets every host connected through replica.
func (f *fleetView) dropReplica(replica string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, e := range f.hosts {
		if e.replica == replica {
			delete(f.hosts, id)
		}
	}
}

// replicas counts online hosts per replica.
func (f *fleetView) replicas() map[string]int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := map[string]int{}
	for _, e := range f.hosts {
		out[e.replica]++
	}
	return out
}

func (f *fleetView) count() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.hosts)
}

// merge brings the other replicas' entries in line with a database snapshot
// taken at or after cutoff: entries the snapshot lacks are dropped unless they
// are newer than the snapshot, and snapshot rows the view lacks are added. This
// replica's own entries mirror its connections and are left alone.
func (f *fleetView) merge(rows []onlineRow, self string, cutoff time.Time) {
	inSnap := make(map[uuid.UUID]bool, len(rows))
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rows {
		if r.replica == self {
			continue
		}
		inSnap[r.host.ID] = true
		cur, ok := f.hosts[r.host.ID]
		if ok && (cur.connID == r.connID || cur.since.After(r.connectedAt)) {
			continue
		}
		f.hosts[r.host.ID] = fleetEntry{apiID: r.host.APIID, replica: r.replica, connID: r.connID, since: r.connectedAt, secure: r.secure}
	}
	for id, e := range f.hosts {
		if e.replica != self && !inSnap[id] && e.since.Before(cutoff) {
			delete(f.hosts, id)
		}
	}
}

// presenceWriter gathers connects and disconnects and writes them in batches,
// then announces each on ChannelStatus. Batching keeps a reconnect storm of
// thousands of agents to a handful of database round trips.
type presenceWriter struct {
	h     *Hub
	mu    sync.Mutex
	queue []presenceOp
	wake  chan struct{}
}

// maxBatch bounds one presence write.
const maxBatch = 1000

func newPresenceWriter(h *Hub) *presenceWriter {
	return &presenceWriter{h: h, wake: make(chan struct{}, 1)}
}

func (w *presenceWriter) enqueue(op presenceOp) {
	w.mu.Lock()
	w.queue = append(w.queue, op)
	full := len(w.queue) >= maxBatch
	w.mu.Unlock()
	if full {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

func (w *presenceWriter) take() []presenceOp {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := min(len(w.queue), maxBatch)
	if n == 0 {
		return nil
	}
	ops := make([]presenceOp, n)
	copy(ops, w.queue)
	w.queue = append(w.queue[:0], w.queue[n:]...)
	return ops
}

func (w *presenceWriter) pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue)
}

// run flushes every FlushInterval, or at once when a batch is full, until the
// hub stops; Shutdown then calls flushAll for the rest.
func (w *presenceWriter) run() {
	defer w.h.bg.Done()
	t := time.NewTicker(w.h.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-w.h.stop:
			return
		case <-t.C:
		case <-w.wake:
		}
		for {
			ops := w.take()
			if len(ops) == 0 {
				break
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			w.write(ctx, ops)
			cancel()
		}
	}
}

// flushAll writes everything queued, within ctx.
func (w *presenceWriter) flushAll(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		ops := w.take()
		if len(ops) == 0 {
			return nil
		}
		w.write(ctx, ops)
	}
}

func (w *presenceWriter) write(ctx context.Context, ops []presenceOp) {
	h := w.h
	res, err := h.store.applyPresence(ctx, h.replica, ops)
	if err != nil {
		h.log.WarnContext(ctx, "recording agent presence failed; the next reconciliation repairs it", "ops", len(ops), "err", err)
	}
	events := make([]StatusEvent, 0, len(ops))
	for i, op := range ops {
		ev := StatusEvent{HostID: op.host.ID, APIID: op.host.APIID, Reason: op.reason, At: op.at.UTC(),
			Replica: h.replica, ConnectionID: op.connID, Secure: op.secure}
		if op.online {
			ev.Status, ev.Previous = StatusOnline, StatusOffline
		} else {
			ev.Status, ev.Previous = StatusOffline, StatusOnline
		}
		if res != nil {
			if !op.online && !res[i].applied {
				continue // the record was about another connection, or already offline
			}
			ev.Previous = res[i].previous
		}
		events = append(events, ev)
	}
	h.publishStatus(ctx, events)
}

// publishStatus announces events on the bus, a few at a time in parallel. This
// replica receives them too, which is how its browser streams see them.
func (h *Hub) publishStatus(ctx context.Context, events []StatusEvent) {
	if len(events) == 0 {
		return
	}
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for _, ev := range events {
		b, err := json.Marshal(ev)
		if err != nil {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := h.cfg.Bus.Publish(ctx, ChannelStatus, b); err != nil {
				h.log.WarnContext(ctx, "publishing agent status failed", "host_id", ev.HostID, "err", err)
			}
		}()
	}
	wg.Wait()
}

// onStatusMessage applies another replica's StatusEvent to the fleet view. It
// also settles two conflicts: a host this replica holds that has connected
// elsewhere since (the older connection is closed), and this replica's hosts
// taken offline by a replica that believed it lost (they are re-asserted).
func (h *Hub) onStatusMessage(b []byte) {
	var ev StatusEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		h.log.Warn("bad status event on the bus", "err", err)
		return
	}
	h.streamStatus(ev)
	if ev.Replica == h.replica {
		if ev.Status == StatusOffline && ev.Reason == ReasonReplicaLost {
			if c := h.localConn(ev.HostID); c != nil && c.id == ev.ConnectionID {
				h.log.Warn("another replica took a live host offline; re-asserting", "host_id", ev.HostID)
				h.writer.enqueue(c.onlineOp(ReasonReasserted))
			}
		}
		return
	}
	if ev.Status == StatusOnline {
		h.fleet.set(ev.HostID, fleetEntry{apiID: ev.APIID, replica: ev.Replica, connID: ev.ConnectionID, since: ev.At, secure: ev.Secure})
		if c := h.localConn(ev.HostID); c != nil && c.since.Before(ev.At) {
			h.log.Info("agent connected to another replica; closing the older connection", "host_id", ev.HostID, "other_replica", ev.Replica)
			c.close(4000, ReasonReplaced)
		}
		return
	}
	h.fleet.remove(ev.HostID, ev.ConnectionID)
}

// replicaKey is the cache key whose presence says a replica is alive.
func replicaKey(replica string) string { return "agents:replica:" + replica }

// renewKey writes this replica's liveness key.
func (h *Hub) renewKey(ctx context.Context) error {
	return h.cfg.Cache.Set(ctx, replicaKey(h.replica), []byte(time.Now().UTC().Format(time.RFC3339)), h.cfg.ReplicaTTL)
}

// heartbeat renews the liveness key, re-asserting this replica's hosts if the
// key had lapsed (others may have taken them offline meanwhile), and checks the
// other replicas'.
func (h *Hub) heartbeat(ctx context.Context) {
	_, ok, err := h.cfg.Cache.Get(ctx, replicaKey(h.replica))
	if err == nil && !ok {
		h.log.WarnContext(ctx, "this replica's liveness key had expired; re-asserting its agents")
		for _, c := range h.localConns() {
			h.writer.enqueue(c.onlineOp(ReasonReasserted))
		}
	}
	if err := h.renewKey(ctx); err != nil {
		h.log.WarnContext(ctx, "renewing the replica liveness key failed", "err", err)
		return
	}
	for replica := range h.fleet.replicas() {
		if replica == h.replica {
			continue
		}
		h.checkReplica(ctx, replica)
	}
}

// checkReplica takes the hosts of replica offline when its liveness key is gone.
// An unreachable cache proves nothing, so it then does nothing.
func (h *Hub) checkReplica(ctx context.Context, replica string) bool {
	_, ok, err := h.cfg.Cache.Get(ctx, replicaKey(replica))
	if err != nil || ok {
		return true
	}
	expired, err := h.store.expireReplica(ctx, replica)
	if err != nil {
		h.log.WarnContext(ctx, "taking a lost replica's agents offline failed", "lost_replica", replica, "err", err)
		return false
	}
	h.fleet.dropReplica(replica)
	if len(expired) > 0 {
		h.log.WarnContext(ctx, "replica lost; its agents are offline", "lost_replica", replica, "hosts", len(expired))
	}
	events := make([]StatusEvent, len(expired))
	for i, e := range expired {
		events[i] = StatusEvent{HostID: e.host.ID, APIID: e.host.APIID, Status: StatusOffline, Previous: StatusOnline,
			Reason: ReasonReplicaLost, At: e.at.UTC(), Replica: replica, ConnectionID: e.connID}
	}
	h.publishStatus(ctx, events)
	return false
}

// periodicReconcile runs reconcile and prunes old history.
func (h *Hub) periodicReconcile(ctx context.Context) {
	if err := h.reconcile(ctx); err != nil {
		h.log.WarnContext(ctx, "reconciling agent presence failed", "err", err)
	}
	n, err := h.store.prune(ctx, time.Now().Add(-h.cfg.HistoryRetention))
	if err != nil {
		h.log.WarnContext(ctx, "pruning agent status history failed", "err", err)
	} else if n > 0 {
		h.log.DebugContext(ctx, "pruned agent status history", "rows", n)
	}
}

// settle is how old a connection (or a record of one) must be before
// reconciliation second-guesses it: younger ones may still be in the writer's
// queue or on the bus.
const settle = 5 * time.Second

// reconcile loads the online hosts from the database, takes those of lost
// replicas offline, merges the rest into the fleet view and corrects the
// records of this replica's own connections.
func (h *Hub) reconcile(ctx context.Context) error {
	start := time.Now()
	rows, err := h.store.online(ctx)
	if err != nil {
		return err
	}
	alive := map[string]bool{h.replica: true}
	live := rows[:0]
	for _, r := range rows {
		ok, seen := alive[r.replica]
		if !seen {
			ok = h.checkReplica(ctx, r.replica)
			alive[r.replica] = ok
		}
		if ok {
			live = append(live, r)
		}
	}
	h.fleet.merge(live, h.replica, start.Add(-settle))

	recorded := map[uuid.UUID]onlineRow{}
	for _, r := range live {
		if r.replica == h.replica {
			recorded[r.host.ID] = r
		}
	}
	cutoff := start.Add(-settle)
	for _, c := range h.localConns() {
		r, ok := recorded[c.host.ID]
		delete(recorded, c.host.ID)
		if (!ok || r.connID != c.id) && c.since.Before(cutoff) {
			h.writer.enqueue(c.onlineOp(ReasonReasserted))
		}
	}
	// Records of connections this replica no longer has: their disconnect
	// was never written.
	for _, r := range recorded {
		if r.connectedAt.Before(cutoff) {
			h.writer.enqueue(presenceOp{host: r.host, connID: r.connID, at: time.Now(), reason: ReasonClosed})
		}
	}
	return nil
}
