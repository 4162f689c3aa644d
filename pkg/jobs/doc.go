// Package jobs runs PatchMon's background work on River (PostgreSQL-backed queues): periodic
// jobs such as session cleanup, orphan cleanup, fleet statistics snapshots, the host status
// monitor, alert retention, the DNS version check and opt-in anonymous metrics, plus jobs
// enqueued on demand ("run now", per-host work).
//
// A job is a name and a func(ctx) error (see Job and Periodic). Every replica of a server runs
// a Service on the same database: River elects one leader that enqueues periodic jobs, and
// each job is also unique per name and period, so a periodic job runs at most once per
// interval across all replicas even while leadership changes hands. Any replica's workers may
// pick the job up. Failed attempts are retried with exponential backoff (Backoff) up to
// Config.MaxAttempts. Every attempt is written to job_history, which outlives River's own
// pruning of finished jobs and backs the global and per-host history API.
//
// Other packages and embedders contribute work by listing Jobs in Config (the server's
// patchmon.Config.Jobs ends up here). VersionChecker and MetricsReporter implement two of the
// built-in jobs; the others live with the packages that own the data.
//
// Stability: Job, Periodic, Config, Service.RunNow/EnqueueForHost and History are stable;
// the rest may still change.
package jobs
