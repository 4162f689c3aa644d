package inventory

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"sync"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"
)

// APIIDPrefix starts every host api_id.
const APIIDPrefix = "patchmon_"

// bcryptCost is the default work factor of stored API keys (the upstream server's).
const bcryptCost = 10

// Longest credentials worth looking up: anything longer is not ours and must not reach
// bcrypt (which reads at most 72 bytes anyway).
const (
	maxAPIIDLen  = 64
	maxAPIKeyLen = 128
)

// Agent is an authenticated host, as established from its X-API-ID / X-API-KEY headers.
type Agent struct {
	HostID uuid.UUID
	APIID  string
	// Generation is the host's credentials_generation when the key was verified. Agent
	// requests touch the host row only where it still matches, so regenerated
	// credentials and deleted hosts stop working at once even while the verification
	// is cached.
	Generation int32
	// apiKey is kept for the install script, which hands it to the new agent through a
	// bootstrap token.
	apiKey string
}

type agentKey struct{}

// WithAgent returns ctx carrying a.
func WithAgent(ctx context.Context, a Agent) context.Context {
	return context.WithValue(ctx, agentKey{}, a)
}

// AgentFromContext returns the agent authenticated for the request.
func AgentFromContext(ctx context.Context) (Agent, bool) {
	a, ok := ctx.Value(agentKey{}).(Agent)
	return a, ok
}

// Credentials are a host's agent credentials. APIKey exists in clear text only in the
// response that created or regenerated it.
type Credentials struct {
	APIID  string
	APIKey string
	hash   string
}

// newCredentials returns a fresh api_id (patchmon_ + 16 hex) and api_key (64 hex) with
// the key's bcrypt hash.
func newCredentials(cost int) (Credentials, error) {
	id := make([]byte, 8)
	key := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return Credentials{}, err
	}
	if _, err := rand.Read(key); err != nil {
		return Credentials{}, err
	}
	c := Credentials{APIID: APIIDPrefix + hex.EncodeToString(id), APIKey: hex.EncodeToString(key)}
	h, err := bcrypt.GenerateFromPassword([]byte(c.APIKey), cost)
	if err != nil {
		return Credentials{}, err
	}
	c.hash = string(h)
	return c, nil
}

// deriveKey derives a purpose-specific key from the server secret.
func deriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// cacheKey is where a verified credential pair is cached. The pair is MACed rather than
// hashed so that reading the cache (a shared Redis) reveals nothing that could be
// checked against guesses offline.
func (s *Service) cacheKey(apiID, apiKey string) string {
	m := hmac.New(sha256.New, s.macKey)
	m.Write([]byte(apiID))
	m.Write([]byte{0})
	m.Write([]byte(apiKey))
	return "agentcred:" + hex.EncodeToString(m.Sum(nil))
}

// cachedAgent is the cache value: host id (16 bytes) and credentials generation (4).
func encodeCachedAgent(a Agent) []byte {
	b := make([]byte, 20)
	copy(b, a.HostID[:])
	binary.BigEndian.PutUint32(b[16:], uint32(a.Generation))
	return b
}

func decodeCachedAgent(b []byte, apiID, apiKey string) (Agent, bool) {
	if len(b) != 20 {
		return Agent{}, false
	}
	var a Agent
	copy(a.HostID[:], b[:16])
	a.Generation = int32(binary.BigEndian.Uint32(b[16:]))
	a.APIID, a.apiKey = apiID, apiKey
	return a, true
}

// dummyHash is compared against when the api_id is unknown, so that a wrong api_id
// costs as long as a wrong api_key and response times do not reveal which ids exist.
// It is made on first use: bcrypt at package initialisation would slow every program
// importing the package.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("patchmon-no-such-host"), bcryptCost)
	return h
})

// dummyCompare spends about as long as verifying a key of the configured cost.
func (s *Service) dummyCompare(apiKey string) {
	if s.cfg.APIKeyCost == bcryptCost {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(apiKey))
		return
	}
	h, _ := bcrypt.GenerateFromPassword([]byte("patchmon-no-such-host"), s.cfg.APIKeyCost)
	_ = bcrypt.CompareHashAndPassword(h, []byte(apiKey))
}

// Authenticate verifies an agent's credentials. The first verification of a pair runs
// bcrypt; later ones within CredentialCacheTTL are answered from the cache. Concurrent
// first requests with the same pair share one bcrypt run.
//
// A cached answer is not proof that the host still exists with these credentials: it
// carries the generation that agent requests check against the host row.
func (s *Service) Authenticate(ctx context.Context, apiID, apiKey string) (Agent, error) {
	if apiID == "" || apiKey == "" {
		return Agent{}, ErrMissingCredentials
	}
	if len(apiID) > maxAPIIDLen || len(apiKey) > maxAPIKeyLen {
		return Agent{}, ErrInvalidCredentials
	}
	key := s.cacheKey(apiID, apiKey)
	if b, ok, err := s.cfg.Cache.Get(ctx, key); err != nil {
		// A cache outage degrades to bcrypt on every request; it must not lock agents out.
		s.log.WarnContext(ctx, "agent credential cache unavailable", "err", err)
	} else if ok {
		if a, ok := decodeCachedAgent(b, apiID, apiKey); ok {
			return a, nil
		}
	}
	v, err, _ := s.flight.Do(key, func() (any, error) {
		a, err := s.verify(ctx, apiID, apiKey)
		if err != nil {
			return Agent{}, err
		}
		if err := s.cfg.Cache.Set(ctx, key, encodeCachedAgent(a), s.cfg.CredentialCacheTTL); err != nil {
			s.log.WarnContext(ctx, "agent credential cache unavailable", "err", err)
		}
		return a, nil
	})
	if err != nil {
		return Agent{}, err
	}
	a := v.(Agent)
	a.APIID, a.apiKey = apiID, apiKey
	return a, nil
}

// verify checks the pair against the stored bcrypt hash.
func (s *Service) verify(ctx context.Context, apiID, apiKey string) (Agent, error) {
	id, hash, gen, err := s.credentialRow(ctx, apiID)
	if errors.Is(err, ErrInvalidCredentials) {
		s.dummyCompare(apiKey)
		return Agent{}, err
	}
	if err != nil {
		return Agent{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(apiKey)) != nil {
		return Agent{}, ErrInvalidCredentials
	}
	return Agent{HostID: id, APIID: apiID, Generation: gen, apiKey: apiKey}, nil
}

// forget drops a cached verification, used when a request found its generation stale.
func (s *Service) forget(ctx context.Context, a Agent) {
	if err := s.cfg.Cache.Delete(ctx, s.cacheKey(a.APIID, a.apiKey)); err != nil {
		s.log.WarnContext(ctx, "agent credential cache unavailable", "err", err)
	}
}
