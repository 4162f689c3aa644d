package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

const jwtIssuer = "patchmon"

// accessClaims are the claims of an access token: the user (sub) and the session (sid)
// it was issued for. Everything else about the user is read per request, so a changed
// role or a revoked session takes effect immediately.
type accessClaims struct {
	SessionID string `json:"sid"`
	jwt.RegisteredClaims
}

// signAccess issues an access token valid until exp.
func (s *Service) signAccess(userID, sessionID uuid.UUID, now, exp time.Time) (string, error) {
	c := accessClaims{SessionID: sessionID.String(), RegisteredClaims: jwt.RegisteredClaims{
		Issuer: jwtIssuer, Subject: userID.String(), ID: uuid.NewString(),
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.jwtKey)
}

var errTokenExpired = errors.New("auth: token expired")

// parseAccess verifies an access token. With allowExpired the expiry is not checked
// (logout accepts an expired token to find its session).
func (s *Service) parseAccess(token string, allowExpired bool) (userID, sessionID uuid.UUID, err error) {
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithIssuer(jwtIssuer),
		jwt.WithTimeFunc(s.now), jwt.WithExpirationRequired()}
	if allowExpired {
		opts = append(opts, jwt.WithoutClaimsValidation())
	}
	var c accessClaims
	_, err = jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.jwtKey, nil }, opts...)
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return uuid.Nil, uuid.Nil, errTokenExpired
		}
		return uuid.Nil, uuid.Nil, err
	}
	if userID, err = uuid.Parse(c.Subject); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	if sessionID, err = uuid.Parse(c.SessionID); err != nil {
		return uuid.Nil, uuid.Nil, err
	}
	return userID, sessionID, nil
}

// randomToken returns n random bytes, base64url encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is how high-entropy bearer secrets (refresh tokens, device tokens) are stored.
func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// keyedHash is how low-entropy secrets (backup codes) are stored: a stolen database alone
// is not enough to brute-force them.
func (s *Service) keyedHash(purpose, v string) string {
	m := hmac.New(sha256.New, s.macKey)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil))
}

// sign returns v with an HMAC, for values kept in cookies.
func (s *Service) sign(purpose string, v []byte) string {
	payload := base64.RawURLEncoding.EncodeToString(v)
	return payload + "." + s.keyedHash(purpose, payload)
}

// verify checks a value produced by sign and returns its payload.
func (s *Service) verify(purpose, signed string) ([]byte, bool) {
	for i := len(signed) - 1; i >= 0; i-- {
		if signed[i] != '.' {
			continue
		}
		payload, mac := signed[:i], signed[i+1:]
		if !hmac.Equal([]byte(mac), []byte(s.keyedHash(purpose, payload))) {
			return nil, false
		}
		b, err := base64.RawURLEncoding.DecodeString(payload)
		return b, err == nil
	}
	return nil, false
}

// sealer encrypts TOTP secrets at rest with AES-256-GCM.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("auth: EncryptionKey must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(plain string) string {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return "v1:" + base64.StdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(plain), nil))
}

func (s *sealer) open(sealed string) (string, error) {
	if len(sealed) < 3 || sealed[:3] != "v1:" {
		return "", errors.New("auth: unknown secret format")
	}
	b, err := base64.StdEncoding.DecodeString(sealed[3:])
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("auth: corrupt secret")
	}
	plain, err := s.aead.Open(nil, b[:s.aead.NonceSize()], b[s.aead.NonceSize():], nil)
	if err != nil {
		return "", errors.New("auth: secret cannot be decrypted (was the encryption key changed?)")
	}
	return string(plain), nil
}
