package notify

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Severity orders events; routes deliver events at or above their minimum.
type Severity string

// Severities from lowest to highest.
const (
	SeverityInformational Severity = "informational"
	SeverityWarning       Severity = "warning"
	SeverityError         Severity = "error"
	SeverityCritical      Severity = "critical"
)

// Severities lists every severity from lowest to highest.
var Severities = []Severity{SeverityInformational, SeverityWarning, SeverityError, SeverityCritical}

// Rank is the severity's position in Severities, or -1 for an unknown one.
func (s Severity) Rank() int { return slices.Index(Severities, s) }

// atOrBelow lists the severities a route may require for an event of severity s.
func (s Severity) atOrBelow() []string {
	var out []string
	for _, v := range Severities[:s.Rank()+1] {
		out = append(out, string(v))
	}
	return out
}

// Event types the server publishes. Routes may name others too: the alert engine adds
// types as it grows.
const (
	EventHostDown        = "host_down"
	EventHostUp          = "host_up"
	EventSecurityUpdates = "security_updates"
	EventRebootRequired  = "reboot_required"
	EventAgentOutdated   = "agent_outdated"
	EventServerUpdate    = "server_update"
	EventReportFailed    = "report_failed"
	EventTest            = "test"
	// EventReport is a scheduled report (pkg/reports); reports go to the destinations
	// of their schedule, not through routes.
	EventReport = "report"
)

// EventTypes lists the event types routes are offered, in display order.
var EventTypes = []string{EventHostDown, EventHostUp, EventSecurityUpdates, EventRebootRequired,
	EventAgentOutdated, EventServerUpdate, EventReportFailed}

var eventTypeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Event is something worth telling someone about.
type Event struct {
	// Type is one of the Event… constants (or another lower_snake_case name).
	Type string `json:"type"`
	// Severity defaults to informational.
	Severity Severity `json:"severity"`
	// HostID and HostName name the host the event is about, if any.
	HostID   *uuid.UUID `json:"host_id,omitempty"`
	HostName string     `json:"host_name,omitempty"`
	Title    string     `json:"title"`
	Message  string     `json:"message"`
	// URL links to the event in the dashboard. Optional.
	URL string `json:"url,omitempty"`
	// Time defaults to now.
	Time time.Time `json:"time"`
}

func (e *Event) normalise(now time.Time) error {
	e.Type = strings.TrimSpace(e.Type)
	if !eventTypeRE.MatchString(e.Type) {
		return fmt.Errorf("notify: invalid event type %q", e.Type)
	}
	if e.Severity == "" {
		e.Severity = SeverityInformational
	}
	if e.Severity.Rank() < 0 {
		return fmt.Errorf("notify: invalid severity %q", e.Severity)
	}
	if strings.TrimSpace(e.Title) == "" {
		return fmt.Errorf("notify: event title is required")
	}
	if e.Time.IsZero() {
		e.Time = now
	}
	e.Time = e.Time.UTC()
	return nil
}

// Attachment is a file sent along with a message: attached to emails, embedded (base64)
// in generic webhook payloads, left out where a destination cannot carry files.
type Attachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Content     []byte `json:"content"`
}

// Message is what one delivery sends.
type Message struct {
	Event Event `json:"event"`
	// HTML, when set, is the email body (with Event.Message as the plain-text part).
	HTML string `json:"html,omitempty"`
	// Attachments go with emails and generic webhooks.
	Attachments []Attachment `json:"attachments,omitempty"`
	// Data is structured content for generic webhooks (the "data" field), e.g. a report.
	Data json.RawMessage `json:"data,omitempty"`
}
