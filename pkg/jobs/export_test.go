package jobs

import "context"

// EnqueueScheduled inserts the scheduled run of a periodic job for the current period, as the
// leader's periodic enqueuer does, and reports whether a new job was inserted.
func EnqueueScheduled(ctx context.Context, s *Service, name string) (bool, error) {
	args, opts := scheduledArgs(s.jobs[name])
	res, err := s.client.Insert(ctx, args, opts)
	if err != nil {
		return false, err
	}
	return !res.UniqueSkippedAsDuplicate, nil
}
