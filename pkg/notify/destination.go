package notify

import (
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// DestinationType names a kind of destination.
type DestinationType string

// Destination types.
const (
	TypeWebhook DestinationType = "webhook"
	TypeEmail   DestinationType = "email"
	TypeNtfy    DestinationType = "ntfy"
	TypeGotify  DestinationType = "gotify"
	TypeSlack   DestinationType = "slack"
	TypeDiscord DestinationType = "discord"
	TypeTeams   DestinationType = "teams"
)

// DestinationTypes lists every type in display order.
var DestinationTypes = []DestinationType{TypeWebhook, TypeEmail, TypeNtfy, TypeGotify, TypeSlack, TypeDiscord, TypeTeams}

// SMTP connection security.
const (
	SecuritySTARTTLS = "starttls"
	SecurityTLS      = "tls"
	SecurityNone     = "none"
)

// DefaultNtfyServer is used when an ntfy destination names no server.
const DefaultNtfyServer = "https://ntfy.sh"

// DestinationConfig holds the non-secret settings; which fields apply depends on the type.
type DestinationConfig struct {
	// URL is the generic webhook's endpoint.
	URL string `json:"url,omitempty"`
	// Host, Port, Security (starttls, tls, none), Username, From, To and TLSSkipVerify
	// configure email.
	Host          string   `json:"host,omitempty"`
	Port          int      `json:"port,omitempty"`
	Security      string   `json:"security,omitempty"`
	Username      string   `json:"username,omitempty"`
	From          string   `json:"from,omitempty"`
	To            []string `json:"to,omitempty"`
	TLSSkipVerify bool     `json:"tls_skip_verify,omitempty"`
	// ServerURL and Topic configure ntfy (server default https://ntfy.sh) and Gotify.
	ServerURL string `json:"server_url,omitempty"`
	Topic     string `json:"topic,omitempty"`
}

// Secrets are the settings sealed at rest and never returned by the API.
type Secrets struct {
	// SigningSecret signs generic webhook payloads (HMAC-SHA256). Optional.
	SigningSecret string `json:"signing_secret,omitempty"`
	// Headers are extra request headers of a generic webhook (e.g. Authorization).
	Headers map[string]string `json:"headers,omitempty"`
	// Password is the SMTP password.
	Password string `json:"password,omitempty"`
	// Token is the ntfy access token or the Gotify application token.
	Token string `json:"token,omitempty"`
	// WebhookURL is the Slack, Discord or Teams incoming-webhook URL (it embeds a token).
	WebhookURL string `json:"webhook_url,omitempty"`
}

// SecretsInput changes secrets: a nil field keeps the stored value, an empty string
// clears it. Headers, when not nil, replaces every header.
type SecretsInput struct {
	SigningSecret *string
	Headers       *map[string]string
	Password      *string
	Token         *string
	WebhookURL    *string
}

func (s Secrets) apply(in *SecretsInput) Secrets {
	if in == nil {
		return s
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&s.SigningSecret, in.SigningSecret)
	if in.Password != nil {
		// Passwords are taken as typed: spaces may be part of them.
		s.Password = *in.Password
	}
	set(&s.Token, in.Token)
	set(&s.WebhookURL, in.WebhookURL)
	if in.Headers != nil {
		s.Headers = nil
		for k, v := range *in.Headers {
			if k = strings.TrimSpace(k); k != "" {
				if s.Headers == nil {
					s.Headers = map[string]string{}
				}
				s.Headers[http.CanonicalHeaderKey(k)] = v
			}
		}
	}
	return s
}

// mask is what the API shows for a stored secret.
const mask = "••••••••"

// Masked shows which secrets are set without revealing them: URLs keep their scheme and
// host, everything else is dots; header names stay visible.
func (s Secrets) Masked() MaskedSecrets {
	var m MaskedSecrets
	if s.SigningSecret != "" {
		m.SigningSecret = mask
	}
	if s.Password != "" {
		m.Password = mask
	}
	if s.Token != "" {
		m.Token = mask
	}
	if s.WebhookURL != "" {
		m.WebhookURL = mask
		if u, err := url.Parse(s.WebhookURL); err == nil && u.Host != "" {
			m.WebhookURL = u.Scheme + "://" + u.Host + "/" + mask
		}
	}
	if len(s.Headers) > 0 {
		m.Headers = map[string]string{}
		for k := range s.Headers {
			m.Headers[k] = mask
		}
	}
	return m
}

// MaskedSecrets is Secrets as the API shows them: empty fields are not set.
type MaskedSecrets struct {
	SigningSecret string
	Headers       map[string]string
	Password      string
	Token         string
	WebhookURL    string
}

// Destination is a configured destination as the API shows it.
type Destination struct {
	ID        uuid.UUID
	Name      string
	Type      DestinationType
	Enabled   bool
	Config    DestinationConfig
	Secrets   MaskedSecrets
	CreatedAt time.Time
	UpdatedAt time.Time
	// LastDelivery is the newest delivery's status and time, if any.
	LastStatus   string
	LastDelivery *time.Time
}

// DestinationInput creates or changes a destination. On create Name, Type and Config are
// required; on update nil fields keep their value and Type cannot change.
type DestinationInput struct {
	Name    *string
	Type    DestinationType
	Enabled *bool
	Config  *DestinationConfig
	Secrets *SecretsInput
}

// Error codes of this package, stable for clients.
const (
	CodeValidation          = "notify_validation"
	CodeDestinationNotFound = "notify_destination_not_found"
	CodeRouteNotFound       = "notify_route_not_found"
	CodeNameTaken           = "notify_name_taken"
	CodeSecretUnreadable    = "notify_secret_unreadable"
)

// Documented errors.
var (
	ErrDestinationNotFound = httpx.NewError(http.StatusNotFound, CodeDestinationNotFound, "Notification destination not found")
	ErrRouteNotFound       = httpx.NewError(http.StatusNotFound, CodeRouteNotFound, "Notification route not found")
	ErrNameTaken           = httpx.NewError(http.StatusConflict, CodeNameTaken, "A notification destination with this name already exists")
	ErrSecretUnreadable    = httpx.NewError(http.StatusConflict, CodeSecretUnreadable,
		"The destination's secrets cannot be decrypted (was AI_ENCRYPTION_KEY changed?); enter them again")
)

func invalid(field, msg string) error {
	e := httpx.NewError(http.StatusBadRequest, CodeValidation, msg)
	e.Field = field
	return e
}

func validHTTPURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// validate checks and normalises a destination's settings for its type.
func validate(t DestinationType, c *DestinationConfig, s *Secrets) error {
	trim := func(p *string) { *p = strings.TrimSpace(*p) }
	for _, p := range []*string{&c.URL, &c.Host, &c.Security, &c.Username, &c.From, &c.ServerURL, &c.Topic} {
		trim(p)
	}
	switch t {
	case TypeWebhook:
		if !validHTTPURL(c.URL) {
			return invalid("config.url", "Webhook URL must be an http or https URL")
		}
		for k, v := range s.Headers {
			if !validHeaderName(k) {
				return invalid("secrets.headers", "Invalid header name: "+k)
			}
			if strings.ContainsAny(v, "\r\n") {
				return invalid("secrets.headers", "Header values may not contain line breaks: "+k)
			}
		}
	case TypeEmail:
		if c.Host == "" {
			return invalid("config.host", "SMTP host is required")
		}
		if c.Security == "" {
			c.Security = SecuritySTARTTLS
		}
		if !slices.Contains([]string{SecuritySTARTTLS, SecurityTLS, SecurityNone}, c.Security) {
			return invalid("config.security", "Security must be starttls, tls or none")
		}
		if c.Port == 0 {
			c.Port = map[string]int{SecuritySTARTTLS: 587, SecurityTLS: 465, SecurityNone: 25}[c.Security]
		}
		if c.Port < 1 || c.Port > 65535 {
			return invalid("config.port", "Port must be between 1 and 65535")
		}
		if _, err := mail.ParseAddress(c.From); err != nil {
			return invalid("config.from", "From must be an email address")
		}
		var to []string
		for _, a := range c.To {
			if a = strings.TrimSpace(a); a == "" {
				continue
			}
			if _, err := mail.ParseAddress(a); err != nil {
				return invalid("config.to", "Invalid recipient: "+a)
			}
			to = append(to, a)
		}
		if len(to) == 0 {
			return invalid("config.to", "At least one recipient is required")
		}
		c.To = to
		if s.Password != "" && c.Username == "" {
			return invalid("config.username", "A username is required with a password")
		}
	case TypeNtfy:
		if c.ServerURL == "" {
			c.ServerURL = DefaultNtfyServer
		}
		if !validHTTPURL(c.ServerURL) {
			return invalid("config.server_url", "Server URL must be an http or https URL")
		}
		if c.Topic == "" || strings.ContainsAny(c.Topic, "/?# ") {
			return invalid("config.topic", "Topic is required and may not contain /, ?, # or spaces")
		}
	case TypeGotify:
		if !validHTTPURL(c.ServerURL) {
			return invalid("config.server_url", "Server URL must be an http or https URL")
		}
		if s.Token == "" {
			return invalid("secrets.token", "Application token is required")
		}
	case TypeSlack, TypeDiscord, TypeTeams:
		if !validHTTPURL(s.WebhookURL) {
			return invalid("secrets.webhook_url", "Webhook URL must be an http or https URL")
		}
	default:
		return invalid("type", "Type must be one of webhook, email, ntfy, gotify, slack, discord, teams")
	}
	return nil
}

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
