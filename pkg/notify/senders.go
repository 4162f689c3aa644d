package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Webhook headers.
const (
	HeaderSignature = "X-PatchMon-Signature"
	HeaderTimestamp = "X-PatchMon-Timestamp"
	HeaderEvent     = "X-PatchMon-Event"
	HeaderDelivery  = "X-PatchMon-Delivery"
)

// Sign returns the X-PatchMon-Signature value for a body sent at timestamp (the
// X-PatchMon-Timestamp value, Unix seconds).
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// ErrBadSignature is returned by VerifySignature.
var ErrBadSignature = errors.New("notify: webhook signature does not match")

// ErrStaleTimestamp is returned by VerifySignature for a timestamp outside the tolerance.
var ErrStaleTimestamp = errors.New("notify: webhook timestamp outside the allowed window")

// VerifySignature checks a received webhook: the signature must match and, when tolerance
// is positive, the timestamp must be within tolerance of now (which rejects replays).
func VerifySignature(secret, timestamp, signature string, body []byte, tolerance time.Duration, now time.Time) error {
	if tolerance > 0 {
		sec, err := strconv.ParseInt(timestamp, 10, 64)
		if err != nil {
			return ErrStaleTimestamp
		}
		if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
			return ErrStaleTimestamp
		}
	}
	if !hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature)) {
		return ErrBadSignature
	}
	return nil
}

// outcome is the result of one attempt.
type outcome struct {
	code int // HTTP status (0 when none)
	err  error
}

// WebhookPayload is the JSON body of a generic webhook.
type WebhookPayload struct {
	ID          uuid.UUID           `json:"id"`
	Event       string              `json:"event"`
	Severity    Severity            `json:"severity"`
	Title       string              `json:"title"`
	Message     string              `json:"message"`
	Host        *WebhookHost        `json:"host"`
	URL         string              `json:"url,omitempty"`
	Timestamp   time.Time           `json:"timestamp"`
	Data        json.RawMessage     `json:"data,omitempty"`
	Attachments []WebhookAttachment `json:"attachments,omitempty"`
}

// WebhookHost names the host of an event.
type WebhookHost struct {
	ID   *uuid.UUID `json:"id,omitempty"`
	Name string     `json:"name"`
}

// WebhookAttachment is an attachment in a webhook payload; Content is base64 in JSON.
type WebhookAttachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Content     []byte `json:"content_base64"`
}

func (s *Service) send(ctx context.Context, d *destRow, m *Message, id uuid.UUID) outcome {
	switch d.Type {
	case TypeWebhook:
		return s.sendWebhook(ctx, d, m, id)
	case TypeEmail:
		return s.sendEmail(ctx, d, m, id)
	case TypeNtfy:
		return s.sendNtfy(ctx, d, m)
	case TypeGotify:
		return s.sendGotify(ctx, d, m)
	case TypeSlack:
		return s.postJSON(ctx, d.Secrets.WebhookURL, nil, slackPayload(m))
	case TypeDiscord:
		return s.postJSON(ctx, d.Secrets.WebhookURL, nil, discordPayload(m))
	case TypeTeams:
		return s.postJSON(ctx, d.Secrets.WebhookURL, nil, teamsPayload(m))
	}
	return outcome{err: fmt.Errorf("unknown destination type %q", d.Type)}
}

func (s *Service) sendWebhook(ctx context.Context, d *destRow, m *Message, id uuid.UUID) outcome {
	p := WebhookPayload{ID: id, Event: m.Event.Type, Severity: m.Event.Severity, Title: m.Event.Title,
		Message: m.Event.Message, URL: m.Event.URL, Timestamp: m.Event.Time, Data: m.Data}
	if m.Event.HostID != nil || m.Event.HostName != "" {
		p.Host = &WebhookHost{ID: m.Event.HostID, Name: m.Event.HostName}
	}
	for _, a := range m.Attachments {
		p.Attachments = append(p.Attachments, WebhookAttachment(a))
	}
	body, err := json.Marshal(p)
	if err != nil {
		return outcome{err: err}
	}
	ts := strconv.FormatInt(s.now().Unix(), 10)
	h := http.Header{}
	for k, v := range d.Secrets.Headers {
		h.Set(k, v)
	}
	h.Set(HeaderEvent, m.Event.Type)
	h.Set(HeaderDelivery, id.String())
	h.Set(HeaderTimestamp, ts)
	if d.Secrets.SigningSecret != "" {
		h.Set(HeaderSignature, Sign(d.Secrets.SigningSecret, ts, body))
	}
	return s.post(ctx, d.Config.URL, h, "application/json", body)
}

func (s *Service) postJSON(ctx context.Context, url string, h http.Header, v any) outcome {
	body, err := json.Marshal(v)
	if err != nil {
		return outcome{err: err}
	}
	return s.post(ctx, url, h, "application/json", body)
}

// post sends body and treats any 2xx as delivered. The response body (first 512 bytes)
// goes into the error of a failed attempt, which is where receivers explain themselves.
func (s *Service) post(ctx context.Context, url string, h http.Header, contentType string, body []byte) outcome {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return outcome{err: err}
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "PatchMon/"+s.cfg.Version)
	res, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return outcome{err: redactURL(err, url)}
	}
	defer res.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		msg := "HTTP " + strconv.Itoa(res.StatusCode)
		if t := strings.TrimSpace(string(snippet)); t != "" {
			msg += ": " + t
		}
		return outcome{code: res.StatusCode, err: errors.New(msg)}
	}
	return outcome{code: res.StatusCode}
}

// redactURL keeps secret webhook URLs (which embed tokens) out of logged errors.
func redactURL(err error, url string) error {
	if msg := err.Error(); strings.Contains(msg, url) {
		return errors.New(strings.ReplaceAll(msg, url, "<destination URL>"))
	}
	return err
}

// oneLine keeps text that goes into a header (email subject, ntfy title) on one line:
// event titles may carry host names that agents reported.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(s)), " ")
}

func severityColor(s Severity) (hex string, dec int) {
	switch s {
	case SeverityCritical:
		return "#DC2626", 0xDC2626
	case SeverityError:
		return "#EA580C", 0xEA580C
	case SeverityWarning:
		return "#D97706", 0xD97706
	}
	return "#2563EB", 0x2563EB
}

func plainText(m *Message) string {
	t := m.Event.Message
	if m.Event.HostName != "" {
		t = "Host: " + m.Event.HostName + "\n" + t
	}
	if m.Event.URL != "" {
		t += "\n" + m.Event.URL
	}
	return strings.TrimSpace(t)
}

func slackPayload(m *Message) any {
	color, _ := severityColor(m.Event.Severity)
	fields := []map[string]any{{"title": "Severity", "value": string(m.Event.Severity), "short": true}}
	if m.Event.HostName != "" {
		fields = append(fields, map[string]any{"title": "Host", "value": m.Event.HostName, "short": true})
	}
	att := map[string]any{"color": color, "title": m.Event.Title, "text": m.Event.Message, "fields": fields,
		"footer": "PatchMon", "ts": m.Event.Time.Unix()}
	if m.Event.URL != "" {
		att["title_link"] = m.Event.URL
	}
	return map[string]any{"text": "[" + string(m.Event.Severity) + "] " + m.Event.Title, "attachments": []any{att}}
}

func discordPayload(m *Message) any {
	_, color := severityColor(m.Event.Severity)
	desc := m.Event.Message
	if len(desc) > 4000 {
		desc = desc[:4000] + "…"
	}
	embed := map[string]any{"title": m.Event.Title, "description": desc, "color": color,
		"timestamp": m.Event.Time.Format(time.RFC3339), "footer": map[string]any{"text": "PatchMon · " + string(m.Event.Severity)}}
	if m.Event.URL != "" {
		embed["url"] = m.Event.URL
	}
	if m.Event.HostName != "" {
		embed["fields"] = []any{map[string]any{"name": "Host", "value": m.Event.HostName, "inline": true}}
	}
	return map[string]any{"username": "PatchMon", "embeds": []any{embed}}
}

// teamsPayload is an Adaptive Card message, which Teams incoming webhooks and Workflows
// accept.
func teamsPayload(m *Message) any {
	body := []any{
		map[string]any{"type": "TextBlock", "size": "Medium", "weight": "Bolder", "text": m.Event.Title, "wrap": true},
		map[string]any{"type": "TextBlock", "text": m.Event.Message, "wrap": true},
	}
	facts := []any{map[string]any{"title": "Severity", "value": string(m.Event.Severity)}}
	if m.Event.HostName != "" {
		facts = append(facts, map[string]any{"title": "Host", "value": m.Event.HostName})
	}
	body = append(body, map[string]any{"type": "FactSet", "facts": facts})
	card := map[string]any{"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
		"version": "1.4", "body": body}
	if m.Event.URL != "" {
		card["actions"] = []any{map[string]any{"type": "Action.OpenUrl", "title": "Open in PatchMon", "url": m.Event.URL}}
	}
	return map[string]any{"type": "message", "attachments": []any{map[string]any{
		"contentType": "application/vnd.microsoft.card.adaptive", "content": card}}}
}

// ntfyPriority maps severities to ntfy priorities (1-5).
func ntfyPriority(s Severity) string {
	return map[Severity]string{SeverityInformational: "3", SeverityWarning: "4", SeverityError: "4", SeverityCritical: "5"}[s]
}

func (s *Service) sendNtfy(ctx context.Context, d *destRow, m *Message) outcome {
	h := http.Header{}
	h.Set("Title", oneLine(m.Event.Title))
	h.Set("Priority", ntfyPriority(m.Event.Severity))
	h.Set("Tags", "patchmon,"+m.Event.Type+","+string(m.Event.Severity))
	if m.Event.URL != "" {
		h.Set("Click", m.Event.URL)
	}
	if d.Secrets.Token != "" {
		h.Set("Authorization", "Bearer "+d.Secrets.Token)
	}
	url := strings.TrimRight(d.Config.ServerURL, "/") + "/" + d.Config.Topic
	return s.post(ctx, url, h, "text/plain; charset=utf-8", []byte(plainText(m)))
}

// gotifyPriority maps severities to Gotify priorities (0-10).
func gotifyPriority(s Severity) int {
	return map[Severity]int{SeverityInformational: 2, SeverityWarning: 5, SeverityError: 7, SeverityCritical: 9}[s]
}

func (s *Service) sendGotify(ctx context.Context, d *destRow, m *Message) outcome {
	p := map[string]any{"title": m.Event.Title, "message": plainText(m), "priority": gotifyPriority(m.Event.Severity)}
	if m.Event.URL != "" {
		p["extras"] = map[string]any{"client::notification": map[string]any{"click": map[string]any{"url": m.Event.URL}}}
	}
	h := http.Header{}
	h.Set("X-Gotify-Key", d.Secrets.Token)
	return s.postJSON(ctx, strings.TrimRight(d.Config.ServerURL, "/")+"/message", h, p)
}
