package reports

import (
	"errors"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// parser accepts the standard five fields and the @descriptors; CRON_TZ prefixes are
// refused because the schedule has a time zone field of its own.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseCron validates a schedule and its time zone.
func ParseCron(expr, tz string) (cron.Schedule, *time.Location, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, nil, invalid("cron", "Cron expression is required")
	}
	if strings.HasPrefix(strings.ToUpper(expr), "CRON_TZ=") || strings.HasPrefix(strings.ToUpper(expr), "TZ=") {
		return nil, nil, invalid("cron", "Set the time zone in the timezone field, not in the expression")
	}
	if strings.HasPrefix(expr, "@every") {
		return nil, nil, invalid("cron", "@every is not supported; use a cron expression such as */30 * * * *")
	}
	if tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, nil, invalid("timezone", "Unknown time zone: "+tz)
	}
	sched, err := parser.Parse(expr)
	if err != nil {
		return nil, nil, invalid("cron", "Invalid cron expression: "+err.Error())
	}
	return sched, loc, nil
}

// NextRuns returns the next n run times after from (in UTC).
func NextRuns(expr, tz string, from time.Time, n int) ([]time.Time, error) {
	sched, loc, err := ParseCron(expr, tz)
	if err != nil {
		return nil, err
	}
	out := make([]time.Time, 0, n)
	t := from.In(loc)
	for range n {
		t = sched.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t.UTC())
	}
	if len(out) == 0 {
		return nil, invalid("cron", "The expression never matches")
	}
	return out, nil
}

var errNever = errors.New("reports: schedule never fires")

func nextRun(expr, tz string, from time.Time) (time.Time, error) {
	ts, err := NextRuns(expr, tz, from, 1)
	if err != nil {
		return time.Time{}, err
	}
	if len(ts) == 0 {
		return time.Time{}, errNever
	}
	return ts[0], nil
}
