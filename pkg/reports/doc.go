// Package reports sends scheduled fleet patch-status reports: every host with its
// outdated and security update counts, and the packages that most hosts need to update,
// as CSV, JSON or HTML, delivered through pkg/notify destinations (email attachments or
// inline HTML, webhook payloads, chat summaries) on cron-style schedules, with a run
// history.
//
// Schedules use the standard five-field cron syntax (minute hour day-of-month month
// day-of-week) or the descriptors @hourly, @daily, @weekly, @monthly and @yearly, parsed
// by github.com/robfig/cron/v3, evaluated in the schedule's IANA time zone.
//
// Service.RunDue runs every schedule whose time has come; each due schedule is claimed
// with FOR UPDATE SKIP LOCKED, so several replicas may call it and each run happens
// once. Callers run RunDue periodically, from a job scheduler or from Service.Run.
//
// Stability: the report formats (CSV columns, JSON fields) are a stable contract; the Go
// API is used inside this module and may still change.
package reports
