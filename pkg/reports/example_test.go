package reports_test

import (
	"fmt"
	"time"

	"github.com/patchmon-go/patchmon/pkg/reports"
)

// The next runs of a weekly schedule in Berlin, shown in UTC.
func ExampleNextRuns() {
	from := time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC)
	runs, err := reports.NextRuns("0 8 * * 1", "Europe/Berlin", from, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range runs {
		fmt.Println(r.Format(time.RFC3339))
	}
	_, err = reports.NextRuns("0 25 * * *", "UTC", from, 1)
	fmt.Println(err)
	// Output:
	// 2026-03-30T06:00:00Z
	// 2026-04-06T06:00:00Z
	// Invalid cron expression: end of range (25) above maximum (23): 25
}
