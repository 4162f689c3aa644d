package alerts

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

// TestEventQueueKeepsNewestPerHost: a host's newer event replaces its queued one in place,
// other hosts keep their turn, events without a host id are all kept, and a full queue
// refuses new hosts but still accepts replacements.
func TestEventQueueKeepsNewestPerHost(t *testing.T) {
	q := newEventQueue(3)
	a, b := uuid.New(), uuid.New()
	ev := func(h uuid.UUID, n int) []byte { return fmt.Appendf(nil, `{"hostId":%q,"n":%d}`, h, n) }

	for _, step := range []struct {
		channel string
		body    []byte
		ok      bool
	}{
		{"reports", ev(a, 1), true},
		{"reports", ev(b, 1), true},
		{"reports", ev(a, 2), true}, // replaces a's first report, keeps its place
		{"status", ev(a, 1), true},  // another channel is another entry
		{"reports", ev(uuid.New(), 1), false},
		{"reports", ev(b, 2), true}, // replacing still works when full
	} {
		if got := q.push(step.channel, step.body); got != step.ok {
			t.Fatalf("push %s %s = %v, want %v", step.channel, step.body, got, step.ok)
		}
	}
	want := []struct {
		channel string
		body    []byte
	}{{"reports", ev(a, 2)}, {"reports", ev(b, 2)}, {"status", ev(a, 1)}}
	for i, w := range want {
		ch, body, ok := q.pop()
		if !ok || ch != w.channel || string(body) != string(w.body) {
			t.Fatalf("pop %d = %q %s %v, want %q %s", i, ch, body, ok, w.channel, w.body)
		}
	}
	if _, _, ok := q.pop(); ok {
		t.Fatal("queue not empty after popping everything")
	}

	// Events that name no host are never merged.
	q = newEventQueue(10)
	for i := range 3 {
		if !q.push("status", fmt.Appendf(nil, `{"n":%d}`, i)) {
			t.Fatal("push refused")
		}
	}
	if n := q.len(); n != 3 {
		t.Fatalf("%d events without a host id queued, want 3", n)
	}
	for i := range 3 {
		if _, body, _ := q.pop(); string(body) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Fatalf("event %d out of order: %s", i, body)
		}
	}
}
