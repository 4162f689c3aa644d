package jobs_test

import (
	"context"
	"time"

	"github.com/patchmon-go/patchmon/pkg/jobs"
)

// Register periodic work of your own next to the server's built-in jobs: it runs once per
// interval across all replicas, is retried with backoff when it fails, and every run shows
// in the job history with what it printed.
func ExamplePeriodic() {
	sync := jobs.Periodic("cmdb-sync", 15*time.Minute, func(ctx context.Context) error {
		n := 42 // ... do the work ...
		jobs.Printf(ctx, "synced %d hosts", n)
		return nil
	})
	sync.Description = "Copy the host list into the CMDB"
	_ = sync // append to patchmon.Config.Jobs, or jobs.Config.Jobs
}
