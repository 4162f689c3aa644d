package agentkit

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestEffectiveOffset(t *testing.T) {
	t.Parallel()
	hour := time.Hour
	// Stable for an id, inside the interval, in whole seconds.
	o := EffectiveOffset("patchmon_a1b2c3d4", hour, 0)
	assert.Equal(t, o, EffectiveOffset("patchmon_a1b2c3d4", hour, 0))
	assert.True(t, o >= 0 && o < hour)
	assert.Zero(t, o%time.Second)
	// A configured offset inside the interval wins; outside it is ignored.
	assert.Equal(t, 847*time.Second, EffectiveOffset("x", hour, 847*time.Second))
	assert.Equal(t, EffectiveOffset("x", hour, 0), EffectiveOffset("x", hour, 2*hour))
	assert.Zero(t, EffectiveOffset("x", 0, 0))

	// A fleet spreads over the whole interval: 2,000 hosts fill every one
	// of 12 five-minute buckets, none with more than twice its share.
	buckets := make([]int, 12)
	for i := range 2000 {
		buckets[EffectiveOffset(fmt.Sprintf("patchmon_%08x", i*7919), hour, 0)/(5*time.Minute)]++
	}
	for i, n := range buckets {
		assert.Greater(t, n, 2000/12/2, "bucket %d", i)
		assert.Less(t, n, 2000/12*2, "bucket %d", i)
	}
}

func TestNextTick(t *testing.T) {
	t.Parallel()
	base := time.Date(2024, 6, 30, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		now              time.Time
		interval, offset time.Duration
		want             time.Time
	}{
		{base, time.Hour, 0, base.Add(time.Hour)},
		{base, time.Hour, 15 * time.Minute, base.Add(15 * time.Minute)},
		{base.Add(20 * time.Minute), time.Hour, 15 * time.Minute, base.Add(75 * time.Minute)},
		{base.Add(15 * time.Minute), time.Hour, 15 * time.Minute, base.Add(75 * time.Minute)},
		{base.Add(time.Second), 30 * time.Minute, 59 * time.Second, base.Add(59 * time.Second)},
		{base, 7 * time.Minute, 0, time.Unix(0, 0).Add((base.Sub(time.Unix(0, 0))/(7*time.Minute) + 1) * 7 * time.Minute)},
	} {
		got := nextTick(c.now, c.interval, c.offset)
		assert.True(t, c.want.Equal(got), "now %s interval %s offset %s: got %s, want %s", c.now, c.interval, c.offset, got, c.want)
		// Always strictly in the future, never more than one interval away,
		// and on the host's grid.
		assert.True(t, got.After(c.now))
		assert.LessOrEqual(t, got.Sub(c.now), c.interval)
		assert.Equal(t, c.offset, time.Duration(got.UnixNano())%c.interval)
	}
	// Restarting does not move the host out of its slot: every start in
	// an interval lands on the same tick.
	off := 1234 * time.Second
	first := nextTick(base.Add(time.Minute), time.Hour, off)
	for m := 2; m < 20; m++ {
		assert.True(t, first.Equal(nextTick(base.Add(time.Duration(m)*time.Minute), time.Hour, off)))
	}
}

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"1.4.0", "1.4.0", 0}, {"v1.4.0", "1.4.0", 0}, {"1.10.0", "1.9.9", 1}, {"1.4.0-rc1", "1.4.0", -1},
		{"2.0", "1.99.99", 1}, {"1.4", "1.4.0", 0}, {"0.0.0-dev", "1.0.0", -1},
	} {
		assert.Equal(t, c.want, compareVersions(c.a, c.b), "%s vs %s", c.a, c.b)
		assert.Equal(t, -c.want, compareVersions(c.b, c.a), "%s vs %s", c.b, c.a)
	}
}

func TestFormatUptime(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "5 minutes", formatUptime(5*time.Minute+30*time.Second))
	assert.Equal(t, "2 hours, 1 minutes", formatUptime(121*time.Minute))
	assert.Equal(t, "3 days, 4 hours, 5 minutes", formatUptime(76*time.Hour+5*time.Minute))
}

func FuzzParseFrame(f *testing.F) {
	f.Add(`{"type":"settings_update","update_interval":30,"package_cache_refresh_mode":"always"}`)
	f.Add(`{"type":"apply_config","config":{"docker":true,"compliance":{"enabled":"on-demand"}}}`)
	f.Add(`{"type":"apply_config","config":{"compliance":{"enabled":true}}}`)
	f.Add(`{"type":"report_now"}`)
	f.Add(`{"type":"from_the_future","x":1}`)
	f.Fuzz(func(t *testing.T, in string) {
		fr, err := parseFrame([]byte(in))
		if err != nil {
			return
		}
		if fr.Type == "" {
			t.Fatal("frame without type accepted")
		}
		if fr.UpdateInterval != nil && *fr.UpdateInterval <= 0 {
			t.Fatal("non-positive interval passed on")
		}
		if fr.Config != nil && fr.Config.Compliance != nil {
			switch fr.Config.Compliance.Mode {
			case "", "enabled", "disabled", "on-demand":
			default:
				t.Fatal("unknown compliance mode")
			}
		}
	})
}
