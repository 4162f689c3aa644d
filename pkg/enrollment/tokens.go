package enrollment

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/patchmon-go/patchmon/pkg/users"
)

// Audit events of this package.
const (
	EventTokenCreated = "enrollment.token.created"
	EventTokenUpdated = "enrollment.token.updated"
	EventTokenDeleted = "enrollment.token.deleted"
	EventHostEnrolled = "enrollment.host.enrolled"
)

// Limits of token fields.
const (
	DefaultMaxHostsPerDay = 100
	MaxHostsPerDayLimit   = 1000
	maxNameLen            = 255
	maxIPRanges           = 100
)

// TokenInput is a token to create, or (for UpdateToken) the fields to change: nil
// pointers are left alone.
type TokenInput struct {
	Name           *string
	IsActive       *bool
	MaxHostsPerDay *int
	// DefaultHostGroupID is a UUID, or "" for none.
	DefaultHostGroupID *string
	AllowedIPRanges    *[]string
	// ExpiresAt is ISO 8601 (a date, or a date-time; UTC without a zone), or "" for none.
	ExpiresAt *string
	Metadata  *map[string]any
	Scopes    *Scopes
}

// TokenInfo is a token as the admin API shows it, without its secret.
type TokenInfo struct {
	ID                 uuid.UUID
	Name               string
	Key                string
	IsActive           bool
	IntegrationType    string
	Metadata           map[string]any
	Scopes             Scopes
	AllowedIPRanges    []string
	MaxHostsPerDay     int
	HostsCreatedToday  int
	DefaultHostGroupID *uuid.UUID
	DefaultHostGroup   *GroupRef
	CreatedBy          *UserRef
	ExpiresAt          *time.Time
	LastUsedAt         *time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// GroupRef names a host group.
type GroupRef struct {
	ID    uuid.UUID
	Name  string
	Color string
}

// UserRef names a user.
type UserRef struct {
	ID                            uuid.UUID
	Username, FirstName, LastName string
}

func (r tokenRow) info() TokenInfo {
	t := TokenInfo{ID: r.ID, Name: r.Name, Key: r.Key, IsActive: r.IsActive, IntegrationType: r.IntegrationType,
		Metadata: r.Metadata, Scopes: r.Scopes, AllowedIPRanges: r.AllowedIPRanges, MaxHostsPerDay: r.MaxHostsPerDay,
		HostsCreatedToday: r.HostsCreatedToday, DefaultHostGroupID: r.DefaultHostGroupID, ExpiresAt: r.ExpiresAt,
		LastUsedAt: r.LastUsedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.DefaultHostGroupID != nil && r.GroupName != nil {
		t.DefaultHostGroup = &GroupRef{ID: *r.DefaultHostGroupID, Name: *r.GroupName, Color: deref(r.GroupColor)}
	}
	if r.CreatedByID != nil && r.CreatedByUsername != nil {
		t.CreatedBy = &UserRef{ID: *r.CreatedByID, Username: *r.CreatedByUsername,
			FirstName: deref(r.CreatedByFirst), LastName: deref(r.CreatedByLast)}
	}
	if t.Metadata == nil {
		t.Metadata = map[string]any{}
	}
	return t
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func itoa(n int) string { return strconv.Itoa(n) }

// CreatedToken is a new token with its secret, which exists in clear text only here.
type CreatedToken struct {
	TokenInfo
	Secret string
}

// newKeyPair returns a key (patchmon_ae_ + 32 hex) and a secret (64 hex).
func newKeyPair() (key, secret string, err error) {
	k := make([]byte, 16)
	sec := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return "", "", err
	}
	if _, err := rand.Read(sec); err != nil {
		return "", "", err
	}
	return KeyPrefix + hex.EncodeToString(k), hex.EncodeToString(sec), nil
}

// ListTokens returns the tokens of integration type typ, or every token when typ is
// empty, newest first.
func (s *Service) ListTokens(ctx context.Context, typ string) ([]TokenInfo, error) {
	rows, err := s.db.Pool.Query(ctx, sqlTokens, s.today(), typ)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []TokenInfo{}
	for rows.Next() {
		r, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r.info())
	}
	return out, rows.Err()
}

// GetToken returns one token, or ErrTokenNotFound.
func (s *Service) GetToken(ctx context.Context, id uuid.UUID) (TokenInfo, error) {
	r, err := s.tokenByID(ctx, id)
	if err != nil {
		return TokenInfo{}, err
	}
	return r.info(), nil
}

// tokenFields are validated, normalised token fields.
type tokenFields struct {
	name            string
	isActive        bool
	maxHosts        int
	groupID         *uuid.UUID
	ranges          []string
	expiresAt       *time.Time
	integrationType string
	metadata        map[string]any
	scopes          Scopes
}

// CreateToken validates in and creates a token; created_by is the signed-in user.
func (s *Service) CreateToken(ctx context.Context, in TokenInput) (CreatedToken, error) {
	f := tokenFields{isActive: true, maxHosts: DefaultMaxHostsPerDay, ranges: []string{}, metadata: map[string]any{},
		integrationType: TypeProxmoxLXC}
	verr := &ValidationError{}
	if in.Name == nil {
		verr.add("token_name", "Token name is required (max 255 characters)")
	}
	if in.Metadata != nil && *in.Metadata != nil {
		f.metadata = *in.Metadata
	}
	if v, ok := f.metadata["integration_type"]; ok && v != nil {
		t, _ := v.(string)
		if !validType(t) {
			verr.add("metadata.integration_type", "Integration type must be one of proxmox-lxc, direct-host, api, gethomepage")
		} else {
			f.integrationType = t
		}
	}
	s.applyFields(ctx, &f, in, verr)
	switch {
	case f.integrationType == TypeAPI && (in.Scopes == nil || *in.Scopes == nil || len(*in.Scopes) == 0):
		verr.add("scopes", "At least one scope is required for API credentials")
	case f.integrationType != TypeAPI && in.Scopes != nil && len(*in.Scopes) > 0:
		verr.add("scopes", "Scopes are only supported for API integration type tokens")
	}
	if err := verr.orNil(); err != nil {
		return CreatedToken{}, err
	}
	if err := s.checkGroup(ctx, f.groupID); err != nil {
		return CreatedToken{}, err
	}
	key, secret, err := newKeyPair()
	if err != nil {
		return CreatedToken{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(secret), s.cfg.SecretCost)
	if err != nil {
		return CreatedToken{}, err
	}
	f.metadata["integration_type"] = f.integrationType
	meta, err := json.Marshal(f.metadata)
	if err != nil {
		return CreatedToken{}, err
	}
	var creator *uuid.UUID
	if p, ok := users.PrincipalFrom(ctx); ok {
		creator = &p.UserID
	}
	var id uuid.UUID
	if err := s.db.Pool.QueryRow(ctx, sqlInsertToken, f.name, key, string(hash), f.integrationType, meta,
		scopesJSON(f.scopes), f.ranges, f.maxHosts, f.groupID, creator, f.expiresAt, s.today()).Scan(&id); err != nil {
		return CreatedToken{}, err
	}
	r, err := s.tokenByID(ctx, id)
	if err != nil {
		return CreatedToken{}, err
	}
	s.cfg.Audit(ctx, users.AuditEntry{Event: EventTokenCreated, Success: true, TargetType: "enrollment_token",
		TargetID: id.String(), TargetName: f.name,
		Details: map[string]any{"integration_type": f.integrationType, "max_hosts_per_day": f.maxHosts}})
	return CreatedToken{TokenInfo: r.info(), Secret: secret}, nil
}

// UpdateToken changes the fields of in that are set.
func (s *Service) UpdateToken(ctx context.Context, id uuid.UUID, in TokenInput) (TokenInfo, error) {
	r, err := s.tokenByID(ctx, id)
	if err != nil {
		return TokenInfo{}, err
	}
	f := tokenFields{name: r.Name, isActive: r.IsActive, maxHosts: r.MaxHostsPerDay, groupID: r.DefaultHostGroupID,
		ranges: r.AllowedIPRanges, expiresAt: r.ExpiresAt, integrationType: r.IntegrationType, metadata: r.Metadata,
		scopes: r.Scopes}
	verr := &ValidationError{}
	if in.Metadata != nil && *in.Metadata != nil {
		m := *in.Metadata
		if v, ok := m["integration_type"]; ok && v != r.IntegrationType {
			verr.add("metadata.integration_type", "Integration type cannot be changed")
		}
		f.metadata = m
	}
	if in.IsActive != nil {
		f.isActive = *in.IsActive
	}
	s.applyFields(ctx, &f, in, verr)
	if in.Scopes != nil {
		switch {
		case r.IntegrationType != TypeAPI:
			verr.add("scopes", "Scopes can only be updated for API integration type tokens")
		case *in.Scopes == nil || len(*in.Scopes) == 0:
			verr.add("scopes", "At least one scope is required for API credentials")
		}
	}
	if err := verr.orNil(); err != nil {
		return TokenInfo{}, err
	}
	if in.DefaultHostGroupID != nil {
		if err := s.checkGroup(ctx, f.groupID); err != nil {
			return TokenInfo{}, err
		}
	}
	f.metadata["integration_type"] = f.integrationType
	meta, err := json.Marshal(f.metadata)
	if err != nil {
		return TokenInfo{}, err
	}
	tag, err := s.db.Pool.Exec(ctx, sqlUpdateToken, id, f.name, f.isActive, meta, scopesJSON(f.scopes), f.ranges,
		f.maxHosts, f.groupID, f.expiresAt)
	if err != nil {
		return TokenInfo{}, err
	}
	if tag.RowsAffected() == 0 {
		return TokenInfo{}, ErrTokenNotFound
	}
	out, err := s.tokenByID(ctx, id)
	if err != nil {
		return TokenInfo{}, err
	}
	s.cfg.Audit(ctx, users.AuditEntry{Event: EventTokenUpdated, Success: true, TargetType: "enrollment_token",
		TargetID: id.String(), TargetName: out.Name, Details: map[string]any{"is_active": out.IsActive}})
	return out.info(), nil
}

// DeleteToken deletes a token and returns its name. Hosts it enrolled are kept.
func (s *Service) DeleteToken(ctx context.Context, id uuid.UUID) (string, error) {
	var name string
	err := s.db.Pool.QueryRow(ctx, sqlDeleteToken, id).Scan(&name)
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return "", ErrTokenNotFound
		}
		return "", err
	}
	s.cfg.Audit(ctx, users.AuditEntry{Event: EventTokenDeleted, Success: true, TargetType: "enrollment_token",
		TargetID: id.String(), TargetName: name})
	return name, nil
}

// applyFields validates the common fields of in into f.
func (s *Service) applyFields(ctx context.Context, f *tokenFields, in TokenInput, verr *ValidationError) {
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || len([]rune(n)) > maxNameLen {
			verr.add("token_name", "Token name is required (max 255 characters)")
		}
		f.name = n
	}
	if in.MaxHostsPerDay != nil {
		if *in.MaxHostsPerDay < 1 || *in.MaxHostsPerDay > MaxHostsPerDayLimit {
			verr.add("max_hosts_per_day", "Max hosts per day must be between 1 and 1000")
		}
		f.maxHosts = *in.MaxHostsPerDay
	}
	if in.DefaultHostGroupID != nil {
		g := strings.TrimSpace(*in.DefaultHostGroupID)
		if g == "" {
			f.groupID = nil
		} else if id, err := uuid.Parse(g); err != nil {
			verr.add("default_host_group_id", "Default host group ID must be a UUID")
		} else {
			f.groupID = &id
		}
	}
	if in.AllowedIPRanges != nil {
		ranges, bad := normaliseRanges(*in.AllowedIPRanges)
		for _, b := range bad {
			verr.add("allowed_ip_ranges", "Invalid IP address or CIDR range: "+b)
		}
		if len(ranges) > maxIPRanges {
			verr.add("allowed_ip_ranges", "At most 100 IP addresses or ranges are allowed")
		}
		f.ranges = ranges
	}
	if in.ExpiresAt != nil {
		if strings.TrimSpace(*in.ExpiresAt) == "" {
			f.expiresAt = nil
		} else if t, ok := parseTime(*in.ExpiresAt); ok {
			f.expiresAt = &t
		} else {
			verr.add("expires_at", "Expiration date must be an ISO 8601 date or date-time")
		}
	}
	if in.Scopes != nil && *in.Scopes != nil && len(*in.Scopes) > 0 {
		sc := normaliseScopes(*in.Scopes)
		if err := s.cfg.ValidateScopes(sc); err != nil {
			verr.add("scopes", err.Error())
		}
		f.scopes = sc
	}
}

func (s *Service) checkGroup(ctx context.Context, id *uuid.UUID) error {
	if id == nil {
		return nil
	}
	ok, err := s.hostGroupExists(ctx, *id)
	if err != nil {
		return err
	}
	if !ok {
		v := &ValidationError{}
		v.add("default_host_group_id", "Host group not found")
		return v
	}
	return nil
}

func validType(t string) bool {
	return t == TypeProxmoxLXC || t == TypeDirectHost || t == TypeAPI || t == TypeGetHomepage
}

// normaliseRanges trims, splits comma-separated entries, drops duplicates and empty
// ones, and returns the entries that are neither an IP address nor a CIDR.
func normaliseRanges(in []string) (out, bad []string) {
	out = []string{}
	seen := map[string]bool{}
	for _, e := range in {
		for _, part := range strings.Split(e, ",") {
			part = strings.TrimSpace(part)
			if part == "" || seen[part] {
				continue
			}
			seen[part] = true
			if _, err := parseRange(part); err != nil {
				bad = append(bad, part)
				continue
			}
			out = append(out, part)
		}
	}
	return out, bad
}

// normaliseScopes sorts and de-duplicates actions so stored scopes compare equal.
func normaliseScopes(in Scopes) Scopes {
	out := Scopes{}
	for res, acts := range in {
		seen := map[string]bool{}
		list := []string{}
		for _, a := range acts {
			a = strings.TrimSpace(a)
			if !seen[a] {
				seen[a] = true
				list = append(list, a)
			}
		}
		sort.Strings(list)
		out[strings.TrimSpace(res)] = list
	}
	return out
}

// defaultValidateScopes accepts any non-empty object of resource → non-empty actions.
func defaultValidateScopes(sc Scopes) error {
	if len(sc) == 0 {
		return errors.New("At least one scope is required for API credentials")
	}
	for res, acts := range sc {
		if res == "" {
			return errors.New("Scope resource names must not be empty")
		}
		if len(acts) == 0 {
			return errors.New("Scope " + res + " must grant at least one action")
		}
		for _, a := range acts {
			if a == "" || a == "*" {
				return errors.New("Scope " + res + " has an invalid action " + strconv.Quote(a))
			}
		}
	}
	return nil
}

func scopesJSON(sc Scopes) []byte {
	if sc == nil {
		return nil
	}
	b, _ := json.Marshal(sc)
	return b
}

// parseTime reads ISO 8601 as the dashboard and scripts send it: RFC 3339, or a local
// date-time or date without a zone, taken as UTC.
func parseTime(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Usage is the ready-made examples of a new token.
type Usage struct {
	IntegrationType string
	ServerURL       string
	ScriptURL       string
	OneLiner        string
	BasicAuth       string
	GetHomepageYAML string
	Examples        []Example
}

// Example is one titled command.
type Example struct {
	Title, Command string
}

// UsageFor returns the examples for a token just created with its secret.
func (s *Service) UsageFor(ctx context.Context, t CreatedToken) Usage {
	base := s.inv.PublicURL()
	flags := "-s"
	if st, err := s.inv.ServerSettings(ctx); err == nil {
		base = st.ServerURL
		if st.IgnoreSSLSelfSigned {
			flags = "-sk"
		}
	}
	u := Usage{IntegrationType: t.IntegrationType, ServerURL: base}
	switch t.IntegrationType {
	case TypeProxmoxLXC, TypeDirectHost:
		q := url.Values{"type": {t.IntegrationType}, "token_key": {t.Key}, "token_secret": {t.Secret}}
		u.ScriptURL = base + "/api/v1/auto-enrollment/script?" + encodeOrdered(q, "type", "token_key", "token_secret")
		shell := "bash"
		if t.IntegrationType == TypeDirectHost {
			shell = "sh"
		}
		u.OneLiner = "curl " + flags + ` "` + u.ScriptURL + `" | ` + shell
		enroll := "curl " + flags + " -X POST \\\n  -H \"" + HeaderKey + ": " + t.Key + "\" \\\n  -H \"" + HeaderSecret + ": " +
			t.Secret + "\" \\\n  -H \"Content-Type: application/json\" \\\n"
		if t.IntegrationType == TypeProxmoxLXC {
			u.Examples = []Example{
				{"Enroll every running LXC container (run on the Proxmox host as root)", u.OneLiner},
				{"Download the script for cron or repeated runs", "curl " + flags + ` "` + u.ScriptURL + `" -o /root/proxmox_auto_enroll.sh && chmod 700 /root/proxmox_auto_enroll.sh`},
				{"Preview without changes", "DRY_RUN=true /root/proxmox_auto_enroll.sh"},
				{"Force install mode for containers with broken packages", "curl " + flags + ` "` + u.ScriptURL + `&force=true" | bash`},
				{"Enroll hosts through the API (1-50 per request)", enroll + `  -d '{"hosts":[{"friendly_name":"webserver","machine_id":"proxmox-lxc-100"}]}' \` + "\n  " + base + "/api/v1/auto-enrollment/enroll/bulk"},
			}
		} else {
			u.Examples = []Example{
				{"Enroll this machine (run as root)", u.OneLiner},
				{"cloud-init (runcmd)", "runcmd:\n  - [sh, -c, '" + strings.ReplaceAll(u.OneLiner, "'", `'"'"'`) + "']"},
				{"Enroll a host through the API", enroll + `  -d '{"friendly_name":"webserver","machine_id":"abc123"}' \` + "\n  " + base + "/api/v1/auto-enrollment/enroll"},
			}
		}
	case TypeAPI:
		u.BasicAuth = base64.StdEncoding.EncodeToString([]byte(t.Key + ":" + t.Secret))
		cred := `"` + t.Key + ":" + t.Secret + `"`
		u.Examples = []Example{
			{"List hosts", "curl " + flags + " -u " + cred + " " + base + "/api/v1/api/hosts"},
			{"List hosts with update counts", "curl " + flags + " -u " + cred + ` "` + base + `/api/v1/api/hosts?include=stats"`},
			{"Filter by host group", "curl " + flags + " -u " + cred + ` "` + base + `/api/v1/api/hosts?hostgroup=Production"`},
			{"Authorization header", "Authorization: Basic " + u.BasicAuth},
		}
	case TypeGetHomepage:
		u.BasicAuth = base64.StdEncoding.EncodeToString([]byte(t.Key + ":" + t.Secret))
		u.GetHomepageYAML = getHomepageYAML(base, u.BasicAuth)
		u.Examples = []Example{
			{"Test the widget endpoint", "curl " + flags + ` -H "Authorization: Basic ` + u.BasicAuth + `" ` + base + "/api/v1/gethomepage/stats"},
			{"Health check", "curl " + flags + ` -H "Authorization: Basic ` + u.BasicAuth + `" ` + base + "/api/v1/gethomepage/health"},
		}
	}
	return u
}

// getHomepageYAML is a services.yml entry with the default three metrics.
func getHomepageYAML(base, basic string) string {
	return `- PatchMon:
    href: ` + base + `
    description: PatchMon Statistics
    icon: ` + base + `/favicon.svg
    widget:
      type: customapi
      url: ` + base + `/api/v1/gethomepage/stats
      headers:
        Authorization: Basic ` + basic + `
      mappings:
        - field: total_hosts
          label: Total Hosts
        - field: hosts_needing_updates
          label: Needs Updates
        - field: security_updates
          label: Security Updates
`
}

// encodeOrdered encodes q with its keys in the given order (url.Values sorts them).
func encodeOrdered(q url.Values, keys ...string) string {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(q.Get(k)))
	}
	return strings.Join(parts, "&")
}
