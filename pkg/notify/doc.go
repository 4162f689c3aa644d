// Package notify delivers PatchMon notifications: destinations (generic signed webhook,
// SMTP email, ntfy, Gotify, Slack, Discord and Microsoft Teams incoming webhooks) whose
// secrets are sealed at rest with pkg/secretbox, routes that map events (type, minimum
// severity, host groups or hosts) to destinations, and a delivery queue in PostgreSQL that
// doubles as the delivery log.
//
// Events enter through Service.Publish, which writes one pending delivery per matching
// destination. Service.ProcessDue claims due deliveries with FOR UPDATE SKIP LOCKED (so any
// number of replicas may call it), sends them, records every attempt (outcome, response
// code, error, duration) and reschedules failures with exponential backoff until
// MaxAttempts. Callers run ProcessDue periodically, from a job scheduler or from
// Service.Run. SendNow and SendTest deliver one message at once and report the outcome.
//
// Generic webhooks are signed: X-PatchMon-Signature is "sha256=" followed by the hex
// HMAC-SHA256, keyed with the destination's signing secret, of the X-PatchMon-Timestamp
// header value, a dot, and the raw body. VerifySignature checks one.
//
// Stability: the webhook payload, headers and signature are a stable contract. The Go API
// is used inside this module and may still change.
package notify
