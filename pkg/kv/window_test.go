package kv

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestWindowStateAllow(t *testing.T) {
	t.Parallel()
	const w = time.Second
	ms := time.Millisecond
	tests := []struct {
		name  string
		st    windowState
		now   time.Duration
		limit int
		want  Decision
		after windowState
	}{
		{
			name:  "fresh key",
			st:    windowState{idx: 5},
			now:   5*w + 250*ms,
			limit: 3,
			want:  Decision{Allowed: true, Limit: 3, Remaining: 2, ResetAfter: 750 * ms},
			after: windowState{idx: 5, cur: 1},
		},
		{
			name:  "last one in the window",
			st:    windowState{idx: 5, cur: 2},
			now:   5*w + 250*ms,
			limit: 3,
			want:  Decision{Allowed: true, Limit: 3, Remaining: 0, ResetAfter: 750 * ms},
			after: windowState{idx: 5, cur: 3},
		},
		{
			name:  "current window full: wait for it to roll over and decay",
			st:    windowState{idx: 5, cur: 4},
			now:   5*w + 500*ms,
			limit: 4,
			// next window: 4*(1-e) + 1 <= 4 once e >= 250ms
			want:  Decision{Limit: 4, ResetAfter: 500 * ms, RetryAfter: 750 * ms},
			after: windowState{idx: 5, cur: 4},
		},
		{
			name:  "retry capped at one window",
			st:    windowState{idx: 5, cur: 2},
			now:   5*w + 100*ms,
			limit: 2,
			// uncapped: 900ms + 500ms
			want:  Decision{Limit: 2, ResetAfter: 900 * ms, RetryAfter: w},
			after: windowState{idx: 5, cur: 2},
		},
		{
			name:  "previous window weighs by the overlap",
			st:    windowState{idx: 5, prev: 10},
			now:   5*w + 500*ms,
			limit: 10,
			// estimate 10*0.5 + 0 = 5, so this is the 6th of 10
			want:  Decision{Allowed: true, Limit: 10, Remaining: 4, ResetAfter: 500 * ms},
			after: windowState{idx: 5, cur: 1, prev: 10},
		},
		{
			name:  "denied by the previous window's share",
			st:    windowState{idx: 5, cur: 5, prev: 10},
			now:   5*w + 500*ms,
			limit: 10,
			// 10*(1-e) <= 4 once e >= 600ms
			want:  Decision{Limit: 10, ResetAfter: 500 * ms, RetryAfter: 100 * ms},
			after: windowState{idx: 5, cur: 5, prev: 10},
		},
		{
			name:  "rolls into the next window",
			st:    windowState{idx: 5, cur: 7, prev: 3},
			now:   6*w + 900*ms,
			limit: 10,
			// estimate 7*0.1 = 0.7
			want:  Decision{Allowed: true, Limit: 10, Remaining: 8, ResetAfter: 100 * ms},
			after: windowState{idx: 6, cur: 1, prev: 7},
		},
		{
			name:  "idle for more than a window forgets everything",
			st:    windowState{idx: 5, cur: 7, prev: 3},
			now:   7 * w,
			limit: 10,
			want:  Decision{Allowed: true, Limit: 10, Remaining: 9, ResetAfter: w},
			after: windowState{idx: 7, cur: 1},
		},
		{
			name:  "clock went backwards",
			st:    windowState{idx: 5, cur: 1},
			now:   4*w + 500*ms,
			limit: 10,
			want:  Decision{Allowed: true, Limit: 10, Remaining: 8, ResetAfter: w},
			after: windowState{idx: 5, cur: 2},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := tc.st
			got := st.allow(tc.now, w, tc.limit)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.after, st)
		})
	}
}

func TestWindowStateNeverExceedsLimit(t *testing.T) {
	t.Parallel()
	// However requests are spread, no span of one window admits more than
	// limit plus the approximation's slack, and denials never count.
	const w, limit = time.Second, 50
	var st windowState
	var admitted []time.Duration
	for now := time.Duration(0); now < 10*w; now += 3 * time.Millisecond {
		d := st.allow(now, w, limit)
		if d.Allowed {
			admitted = append(admitted, now)
		} else {
			assert.Positive(t, d.RetryAfter)
			assert.LessOrEqual(t, d.RetryAfter, w)
		}
		assert.Positive(t, d.ResetAfter)
		assert.LessOrEqual(t, d.ResetAfter, w)
	}
	for i := range admitted {
		n := 0
		for j := i; j < len(admitted) && admitted[j]-admitted[i] < w; j++ {
			n++
		}
		assert.LessOrEqual(t, n, limit+limit/10, "window starting at %v", admitted[i])
	}
	// And it is not stingy: about limit per window over the long run.
	assert.Greater(t, len(admitted), 9*limit)
}
