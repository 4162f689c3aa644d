// Package secretbox encrypts small secrets at rest (notification passwords, tokens,
// signing secrets, webhook URLs that embed credentials) with AES-256-GCM, using the key
// chain PatchMon's configuration documents:
//
//  1. AI_ENCRYPTION_KEY: 64 hex characters are used as the 32-byte key; any other string
//     is SHA-256 hashed.
//  2. SESSION_SECRET, SHA-256 hashed, when AI_ENCRYPTION_KEY is unset.
//  3. DATABASE_URL, SHA-256 hashed, when neither is set; a security warning is logged.
//  4. An ephemeral random key as the last resort; a warning is logged because anything
//     sealed with it is unreadable after a restart.
//
// Sealed values are text: "pmsb1.<key id>.<base64url(nonce|ciphertext)>". The key id is
// a short fingerprint of the key, so Open finds the right key among every key the chain
// can still derive: a value sealed while the key came from DATABASE_URL stays readable
// after AI_ENCRYPTION_KEY is set (as long as DATABASE_URL is unchanged), and an operator
// rotating AI_ENCRYPTION_KEY may list the old value in Config.PreviousKeys. Each value is
// bound to a context string (for example "notify.destination:<id>") as GCM additional
// data, so a sealed value copied into another row does not open there.
//
// Stability: the sealed format is stable (new formats get a new prefix and old ones keep
// opening); the Go API is stable.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Source names where the sealing key came from.
type Source string

// Key sources in the order the chain tries them.
const (
	SourceAIEncryptionKey Source = "AI_ENCRYPTION_KEY"
	SourceSessionSecret   Source = "SESSION_SECRET"
	SourceDatabaseURL     Source = "DATABASE_URL"
	SourceEphemeral       Source = "ephemeral"
	SourcePrevious        Source = "previous"
)

// prefix starts every value sealed in the current format.
const prefix = "pmsb1."

// Errors returned by Open.
var (
	// ErrFormat means the value is not something Seal produced.
	ErrFormat = errors.New("secretbox: not a sealed value")
	// ErrUnknownKey means no key of the chain matches the value's key id: the encryption
	// key changed (see AI_ENCRYPTION_KEY) and the secret has to be entered again.
	ErrUnknownKey = errors.New("secretbox: sealed with a key this server does not have (was AI_ENCRYPTION_KEY changed?)")
	// ErrDecrypt means the key matched but authentication failed: the value was altered or
	// belongs to another context.
	ErrDecrypt = errors.New("secretbox: value cannot be decrypted (altered, or sealed for another record)")
)

// Config lists the key material. Every field is optional.
type Config struct {
	// AIEncryptionKey is AI_ENCRYPTION_KEY. Default: "".
	AIEncryptionKey string
	// SessionSecret is SESSION_SECRET. Default: "".
	SessionSecret string
	// DatabaseURL is DATABASE_URL (in embedded mode, the URL of the embedded cluster).
	// Default: "".
	DatabaseURL string
	// PreviousKeys are earlier AI_ENCRYPTION_KEY values (same syntax), used only to open
	// values sealed before a rotation. Default: none.
	PreviousKeys []string
	// Logger receives the warnings about weak or ephemeral keys. Default: discard.
	Logger *slog.Logger
}

type key struct {
	id     string
	source Source
	raw    []byte
	aead   cipher.AEAD
}

// Box seals and opens values. It is safe for concurrent use.
type Box struct {
	primary key
	all     []key
}

// New derives the keys and logs a warning when the sealing key comes from DATABASE_URL
// or is ephemeral.
func New(cfg Config) (*Box, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	type cand struct {
		src Source
		raw []byte
	}
	var cands []cand
	if cfg.AIEncryptionKey != "" {
		cands = append(cands, cand{SourceAIEncryptionKey, DeriveKey(cfg.AIEncryptionKey)})
	}
	if cfg.SessionSecret != "" {
		cands = append(cands, cand{SourceSessionSecret, hash(cfg.SessionSecret)})
	}
	if cfg.DatabaseURL != "" {
		cands = append(cands, cand{SourceDatabaseURL, hash(cfg.DatabaseURL)})
	}
	if len(cands) == 0 {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		cands = append(cands, cand{SourceEphemeral, raw})
	}
	for _, p := range cfg.PreviousKeys {
		if p != "" {
			cands = append(cands, cand{SourcePrevious, DeriveKey(p)})
		}
	}
	b := &Box{}
	for i, c := range cands {
		k, err := newKey(c.src, c.raw)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			b.primary = k
		}
		b.all = append(b.all, k)
	}
	switch b.primary.source {
	case SourceDatabaseURL:
		log.Warn("AI_ENCRYPTION_KEY and SESSION_SECRET are unset: secrets at rest are encrypted with a key derived from DATABASE_URL; set AI_ENCRYPTION_KEY (openssl rand -hex 32) to keep them readable if the database URL changes")
	case SourceEphemeral:
		log.Warn("no AI_ENCRYPTION_KEY, SESSION_SECRET or DATABASE_URL: secrets at rest are encrypted with an ephemeral key and will be unreadable after a restart; set AI_ENCRYPTION_KEY (openssl rand -hex 32)")
	}
	return b, nil
}

// DeriveKey turns an AI_ENCRYPTION_KEY value into a 32-byte key: 64 hex characters are
// decoded, anything else is SHA-256 hashed.
func DeriveKey(v string) []byte {
	if b, err := hex.DecodeString(v); err == nil && len(b) == 32 {
		return b
	}
	return hash(v)
}

func hash(v string) []byte {
	h := sha256.Sum256([]byte(v))
	return h[:]
}

func newKey(src Source, raw []byte) (key, error) {
	block, err := aes.NewCipher(raw)
	if err != nil {
		return key{}, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return key{}, fmt.Errorf("secretbox: %w", err)
	}
	// The id is a fingerprint under a domain-separated hash, so it reveals nothing
	// usable about the key itself.
	fp := sha256.Sum256(append([]byte("patchmon secretbox key id\x00"), raw...))
	return key{id: hex.EncodeToString(fp[:4]), source: src, raw: raw, aead: aead}, nil
}

// Source reports where the sealing key came from.
func (b *Box) Source() Source { return b.primary.source }

// Key returns a copy of the 32-byte sealing key, for components that keep their own
// AES-GCM format (TOTP secrets in pkg/auth).
func (b *Box) Key() []byte { return append([]byte(nil), b.primary.raw...) }

// Seal encrypts plain for the given context with the sealing key.
func (b *Box) Seal(plain []byte, context string) (string, error) {
	nonce := make([]byte, b.primary.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := b.primary.aead.Seal(nonce, nonce, plain, []byte(context))
	return prefix + b.primary.id + "." + base64.RawURLEncoding.EncodeToString(ct), nil
}

// SealString is Seal for text.
func (b *Box) SealString(plain, context string) (string, error) {
	return b.Seal([]byte(plain), context)
}

// Open decrypts a value produced by Seal with the same context.
func (b *Box) Open(sealed, context string) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return nil, ErrFormat
	}
	id, body, ok := strings.Cut(rest, ".")
	if !ok {
		return nil, ErrFormat
	}
	ct, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, ErrFormat
	}
	for _, k := range b.all {
		if k.id != id {
			continue
		}
		if len(ct) < k.aead.NonceSize()+k.aead.Overhead() {
			return nil, ErrFormat
		}
		n := k.aead.NonceSize()
		plain, err := k.aead.Open(nil, ct[:n], ct[n:], []byte(context))
		if err != nil {
			return nil, ErrDecrypt
		}
		return plain, nil
	}
	return nil, ErrUnknownKey
}

// OpenString is Open for text.
func (b *Box) OpenString(sealed, context string) (string, error) {
	p, err := b.Open(sealed, context)
	return string(p), err
}

// NeedsReseal reports whether sealed was made with a key other than the current sealing
// key, so a caller may re-encrypt it (Open, then Seal) after a key change.
func (b *Box) NeedsReseal(sealed string) bool {
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return true
	}
	id, _, _ := strings.Cut(rest, ".")
	return id != b.primary.id
}
