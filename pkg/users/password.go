package users

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"golang.org/x/crypto/bcrypt"

	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// PasswordPolicy is the PASSWORD_* complexity policy for local accounts.
type PasswordPolicy struct {
	// MinLength is the shortest accepted password. Default: 8.
	MinLength        int
	RequireUppercase bool
	RequireLowercase bool
	RequireNumber    bool
	RequireSpecial   bool
}

// maxPasswordBytes is bcrypt's input limit; longer passwords would be silently truncated.
const maxPasswordBytes = 72

// Check returns nil when password satisfies the policy, or an *httpx.APIError (400,
// code password_policy) naming field and listing every rule the password breaks.
func (p PasswordPolicy) Check(field, password string) error {
	var missing []string
	minLen := max(p.MinLength, 1)
	if n := len([]rune(password)); n < minLen {
		missing = append(missing, fmt.Sprintf("be at least %d characters long", minLen))
	}
	if len(password) > maxPasswordBytes {
		missing = append(missing, fmt.Sprintf("be at most %d bytes long", maxPasswordBytes))
	}
	var upper, lower, digit, special bool
	for _, r := range password {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case !unicode.IsLetter(r) && !unicode.IsSpace(r):
			special = true
		}
	}
	if p.RequireUppercase && !upper {
		missing = append(missing, "contain an uppercase letter")
	}
	if p.RequireLowercase && !lower {
		missing = append(missing, "contain a lowercase letter")
	}
	if p.RequireNumber && !digit {
		missing = append(missing, "contain a number")
	}
	if p.RequireSpecial && !special {
		missing = append(missing, "contain a special character")
	}
	if len(missing) == 0 {
		return nil
	}
	msg := "Password must " + joinRules(missing)
	return &httpx.APIError{Status: http.StatusBadRequest, Code: CodePasswordPolicy, Message: msg, Field: field}
}

func joinRules(r []string) string {
	switch len(r) {
	case 1:
		return r[0]
	case 2:
		return r[0] + " and " + r[1]
	}
	return strings.Join(r[:len(r)-1], ", ") + " and " + r[len(r)-1]
}

// Hasher hashes and checks passwords with bcrypt.
type Hasher struct {
	cost  int
	dummy []byte
}

// NewHasher returns a Hasher with the given bcrypt cost: 0 (or anything below 4) means
// bcrypt.DefaultCost (10), and costs above 31 are capped.
func NewHasher(cost int) *Hasher {
	if cost < bcrypt.MinCost {
		cost = bcrypt.DefaultCost
	}
	cost = min(cost, bcrypt.MaxCost)
	dummy, err := bcrypt.GenerateFromPassword([]byte("patchmon-timing-equaliser"), cost)
	if err != nil {
		panic(err) // only fails for invalid costs, excluded above
	}
	return &Hasher{cost: cost, dummy: dummy}
}

// Hash returns the bcrypt hash of password.
func (h *Hasher) Hash(password string) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(password), h.cost)
	return string(b), err
}

// Compare reports whether password matches hash. An empty hash (unknown user, SSO-only
// account) is compared against a dummy hash so the answer takes the same time.
func (h *Hasher) Compare(hash, password string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(h.dummy, []byte(password))
		return false
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password))
	if err != nil && !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		// A malformed stored hash: still spend the time, never match.
		_ = bcrypt.CompareHashAndPassword(h.dummy, []byte(password))
	}
	return err == nil
}
