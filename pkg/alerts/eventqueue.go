package alerts

import (
	"encoding/json"
	"sync"

	"github.com/google/uuid"
)

// eventKey identifies what an agent event is about: only the newest event of one kind for
// one host matters to the alert rules (the latest report's counts, the latest presence).
type eventKey struct {
	channel string
	host    uuid.UUID
	seq     uint64 // non-zero for an event without a host id, which is never replaced
}

// eventQueue holds agent events for the alert listener, newest per host and channel. A
// host that reports again before its previous event was handled replaces that event in
// place, so a burst from many hosts queues at most one event per host and nothing a rule
// needs is lost. Events without a host id are kept individually. Beyond limit distinct
// entries an event is refused (push returns false).
type eventQueue struct {
	mu     sync.Mutex
	order  []eventKey
	bodies map[eventKey][]byte
	seq    uint64
	limit  int
	wake   chan struct{}
}

func newEventQueue(limit int) *eventQueue {
	return &eventQueue{bodies: map[eventKey][]byte{}, limit: limit, wake: make(chan struct{}, 1)}
}

// push queues body, replacing a queued event of the same host and channel. It reports
// false when the queue is full.
func (q *eventQueue) push(channel string, body []byte) bool {
	var head struct {
		HostID uuid.UUID `json:"hostId"`
	}
	key := eventKey{channel: channel}
	if json.Unmarshal(body, &head) == nil && head.HostID != uuid.Nil {
		key.host = head.HostID
	}
	q.mu.Lock()
	if key.host == uuid.Nil {
		q.seq++
		key.seq = q.seq
	}
	if _, queued := q.bodies[key]; queued {
		q.bodies[key] = body
		q.mu.Unlock()
		return true
	}
	if len(q.order) >= q.limit {
		q.mu.Unlock()
		return false
	}
	q.bodies[key] = body
	q.order = append(q.order, key)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// pop returns the oldest queued event, if any.
func (q *eventQueue) pop() (channel string, body []byte, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.order) == 0 {
		return "", nil, false
	}
	key := q.order[0]
	q.order[0] = eventKey{}
	q.order = q.order[1:]
	if len(q.order) == 0 {
		q.order = nil // let the backing array of a drained burst go
	}
	body = q.bodies[key]
	delete(q.bodies, key)
	return key.channel, body, true
}

// len is the number of queued events.
func (q *eventQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.order)
}
