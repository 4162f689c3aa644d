package enrollment

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"sync"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// Header names of the enrollment endpoints.
const (
	HeaderKey    = "X-Auto-Enrollment-Key"
	HeaderSecret = "X-Auto-Enrollment-Secret"
)

// KeyPrefix starts every token key.
const KeyPrefix = "patchmon_ae_"

// Integration types: what a token is for (metadata.integration_type).
const (
	TypeProxmoxLXC  = "proxmox-lxc"
	TypeDirectHost  = "direct-host"
	TypeAPI         = "api"
	TypeGetHomepage = "gethomepage"
)

// IsEnrollmentType reports whether t is a type that may enroll hosts.
func IsEnrollmentType(t string) bool { return t == TypeProxmoxLXC || t == TypeDirectHost }

// Scopes are the permissions of an api token: resource → granted actions, for example
// {"host": ["get", "delete"]}. They are explicit: no wildcards and no implied actions.
// Stored as a JSON object in auto_enrollment_tokens.scopes.
type Scopes map[string][]string

// Allows reports whether the scopes grant action on resource.
func (sc Scopes) Allows(resource, action string) bool {
	for _, a := range sc[resource] {
		if a == action {
			return true
		}
	}
	return false
}

// HasResource reports whether any action is granted on resource.
func (sc Scopes) HasResource(resource string) bool { return len(sc[resource]) > 0 }

// Token is an authenticated credential, as Authenticate returns it.
type Token struct {
	ID              uuid.UUID
	Name            string
	Key             string
	IntegrationType string
	// Scopes are set for api tokens only.
	Scopes             Scopes
	DefaultHostGroupID *uuid.UUID
	MaxHostsPerDay     int
}

// Scheme says how a request presents its credentials.
type Scheme int

const (
	// SchemeEnrollment is the X-Auto-Enrollment-Key / -Secret header pair (or the
	// token_key / token_secret query of the script download), answered with the
	// enrollment messages ("Invalid or inactive token", ...).
	SchemeEnrollment Scheme = iota
	// SchemeBasic is "Authorization: Basic base64(key:secret)", answered with the
	// Integration API messages ("Invalid API key", ...).
	SchemeBasic
)

// Credentials are what a request presented.
type Credentials struct {
	Scheme Scheme
	// Key and Secret are read from the enrollment headers (SchemeEnrollment).
	Key, Secret string
	// Authorization is the raw Authorization header (SchemeBasic).
	Authorization string
	// Type is the integration type the token must have: "api" or "gethomepage" for
	// SchemeBasic; empty for SchemeEnrollment, which admits proxmox-lxc and direct-host.
	Type string
	// ClientIP is checked against the token's allowed_ip_ranges.
	ClientIP netip.Addr
}

// EnrollmentCredentials reads the enrollment headers of r.
func EnrollmentCredentials(r *http.Request) Credentials {
	return Credentials{Scheme: SchemeEnrollment, Key: r.Header.Get(HeaderKey), Secret: r.Header.Get(HeaderSecret),
		ClientIP: httpx.ClientIP(r)}
}

// BasicCredentials reads the Authorization header of r for a token of integration type t
// ("api" or "gethomepage").
func BasicCredentials(r *http.Request, t string) Credentials {
	return Credentials{Scheme: SchemeBasic, Authorization: r.Header.Get("Authorization"), Type: t,
		ClientIP: httpx.ClientIP(r)}
}

// BasicCredentialsFor returns a reader of Basic credentials for tokens of integration
// type t, for RequireToken: api.RequireToken(enrollment.BasicCredentialsFor("api"), next).
func BasicCredentialsFor(t string) func(*http.Request) Credentials {
	return func(r *http.Request) Credentials { return BasicCredentials(r, t) }
}

// Longest key and secret worth looking up: anything longer is not ours and must not reach
// bcrypt (which reads at most 72 bytes anyway).
const (
	maxKeyLen    = 128
	maxSecretLen = 128
)

// authMessages are the answers of one scheme, in the order of the checks.
type authMessages struct {
	missing, format, unknown, inactive, expired, wrongType, secret, ip error
}

var (
	enrollmentMessages = authMessages{missing: ErrCredentialsRequired, format: ErrCredentialsRequired,
		unknown: ErrInvalidToken, inactive: ErrInvalidToken, expired: ErrTokenExpired,
		wrongType: ErrNotEnrollmentToken, secret: ErrInvalidSecret, ip: ErrIPNotAuthorized}
	basicMessages = authMessages{missing: ErrAuthHeader, format: ErrAuthFormat,
		unknown: ErrInvalidAPIKey, inactive: ErrKeyDisabled, expired: ErrKeyExpired,
		wrongType: ErrInvalidType, secret: ErrInvalidAPISecret, ip: ErrIPNotAllowed}
)

// Authenticate checks credentials in the documented order and returns the token:
//
//  1. credentials present (the Authorization header is "Basic …"),
//  2. format (Base64 of key:secret for Basic),
//  3. the key exists,
//  4. the token is active,
//  5. it has not expired,
//  6. its integration type fits (enrollment types, or the requested Basic type),
//  7. the secret matches the bcrypt hash (verified once, then cached),
//  8. the client IP is in allowed_ip_ranges when any are set,
//  9. last_used_at is updated.
//
// Scope checks come after and belong to the caller. Failures are *httpx.APIError values
// with the documented messages (401, 403 for the IP); a database failure during Basic
// authentication is reported as 500 "Authentication failed".
func (s *Service) Authenticate(ctx context.Context, c Credentials) (Token, error) {
	msgs := enrollmentMessages
	key, secret := c.Key, c.Secret
	if c.Scheme == SchemeBasic {
		msgs = basicMessages
		var err error
		if key, secret, err = parseBasic(c.Authorization); err != nil {
			return Token{}, err
		}
	} else if key == "" || secret == "" {
		return Token{}, msgs.missing
	}
	if len(key) > maxKeyLen || len(secret) > maxSecretLen {
		s.dummyCompare(secret)
		return Token{}, msgs.unknown
	}
	row, err := s.tokenByKey(ctx, key)
	if errors.Is(err, errNoToken) {
		s.dummyCompare(secret)
		return Token{}, msgs.unknown
	}
	if err != nil {
		s.log.ErrorContext(ctx, "token authentication failed", "err", err)
		if c.Scheme == SchemeBasic {
			return Token{}, ErrAuthFailed
		}
		return Token{}, err
	}
	switch {
	case !row.IsActive:
		return Token{}, msgs.inactive
	case row.ExpiresAt != nil && !row.ExpiresAt.After(s.cfg.Now()):
		return Token{}, msgs.expired
	case c.Scheme == SchemeEnrollment && !IsEnrollmentType(row.IntegrationType),
		c.Scheme == SchemeBasic && row.IntegrationType != c.Type:
		return Token{}, msgs.wrongType
	}
	if !s.verifySecret(ctx, row, secret) {
		return Token{}, msgs.secret
	}
	if !ipAllowed(row.AllowedIPRanges, c.ClientIP) {
		return Token{}, msgs.ip
	}
	if err := s.touch(ctx, row.ID); err != nil {
		// The request is genuine; a lost last-used time is not worth refusing it.
		s.log.WarnContext(ctx, "updating token last_used_at failed", "token", row.ID, "err", err)
	}
	return row.token(), nil
}

// parseBasic splits "Basic base64(key:secret)".
func parseBasic(h string) (key, secret string, err error) {
	scheme, payload, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", "", ErrAuthHeader
	}
	raw, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(payload))
	if derr != nil {
		return "", "", ErrAuthFormat
	}
	key, secret, ok = strings.Cut(string(raw), ":")
	if !ok || key == "" || secret == "" {
		return "", "", ErrAuthFormat
	}
	return key, secret, nil
}

// cacheKey is where a verified key/secret pair is remembered. The pair is MACed so that
// reading the cache (a shared Redis) reveals nothing that could be checked offline.
func (s *Service) cacheKey(key, secret string) string {
	m := hmac.New(sha256.New, s.macKey)
	m.Write([]byte(key))
	m.Write([]byte{0})
	m.Write([]byte(secret))
	return "enrolltoken:" + hex.EncodeToString(m.Sum(nil))
}

// cacheValue binds a cached verification to the token row and its hash, so a deleted and
// re-created row, or a changed hash, is never answered from the cache.
func cacheValue(row tokenRow) []byte {
	h := sha256.Sum256([]byte(row.SecretHash))
	return append(row.ID[:], h[:8]...)
}

// verifySecret compares secret with the row's bcrypt hash, once per pair and cache TTL.
// Concurrent first requests with the same pair share one bcrypt run.
func (s *Service) verifySecret(ctx context.Context, row tokenRow, secret string) bool {
	ck := s.cacheKey(row.Key, secret)
	want := cacheValue(row)
	if b, ok, err := s.cfg.Cache.Get(ctx, ck); err != nil {
		s.log.WarnContext(ctx, "token credential cache unavailable", "err", err)
	} else if ok && hmac.Equal(b, want) {
		return true
	}
	v, _, _ := s.flight.Do(ck, func() (any, error) {
		if bcrypt.CompareHashAndPassword([]byte(row.SecretHash), []byte(secret)) != nil {
			return false, nil
		}
		if err := s.cfg.Cache.Set(ctx, ck, want, s.cfg.CredentialCacheTTL); err != nil {
			s.log.WarnContext(ctx, "token credential cache unavailable", "err", err)
		}
		return true, nil
	})
	return v.(bool)
}

// dummyHash is compared against for unknown keys so that response times do not reveal
// which keys exist. Made on first use: bcrypt at package initialisation would slow every
// program importing the package.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("patchmon-no-such-token"), bcrypt.DefaultCost)
	return h
})

func (s *Service) dummyCompare(secret string) {
	if s.cfg.SecretCost == bcrypt.DefaultCost {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(secret))
	}
}

// ipAllowed reports whether ip is in one of ranges (exact addresses or CIDRs, IPv4 or
// IPv6). An empty list allows everyone. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match
// as the IPv4 address they carry, on either side.
func ipAllowed(ranges []string, ip netip.Addr) bool {
	if len(ranges) == 0 {
		return true
	}
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap()
	for _, r := range ranges {
		p, err := parseRange(r)
		if err == nil && p.Contains(ip) {
			return true
		}
	}
	return false
}

// parseRange reads an allowed_ip_ranges entry as a prefix: an address is a /32 (/128),
// a mapped address or prefix is turned into its IPv4 form.
func parseRange(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if a := p.Addr(); a.Is4In6() {
			bits := p.Bits() - 96
			if bits < 0 {
				// A mapped prefix shorter than the mapping itself covers all of IPv4.
				bits = 0
			}
			p = netip.PrefixFrom(a.Unmap(), bits)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

type tokenKey struct{}

// WithToken returns ctx carrying t.
func WithToken(ctx context.Context, t Token) context.Context {
	return context.WithValue(ctx, tokenKey{}, t)
}

// TokenFromContext returns the token RequireToken authenticated for the request.
func TokenFromContext(ctx context.Context) (Token, bool) {
	t, ok := ctx.Value(tokenKey{}).(Token)
	return t, ok
}

// RequireToken returns middleware that authenticates requests with read (for example
// EnrollmentCredentials, or func(r) { return BasicCredentials(r, "api") }), puts the
// Token in the context (TokenFromContext) and answers failures with their JSON error.
func (api *EnrollAPI) RequireToken(read func(*http.Request) Credentials, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := api.service()
		if err != nil {
			writeError(w, err)
			return
		}
		t, err := s.Authenticate(r.Context(), read(r))
		if err != nil {
			writeError(w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithToken(r.Context(), t)))
	})
}

// writeError renders err for middleware that runs outside the strict layer.
func writeError(w http.ResponseWriter, err error) {
	var ae *httpx.APIError
	if !errors.As(err, &ae) {
		ae = httpx.NewError(http.StatusInternalServerError, httpx.CodeInternal, "Internal server error")
	}
	httpx.WriteJSON(w, ae.Status, httpx.Error{Message: ae.Message, Code: ae.Code, Field: ae.Field})
}
