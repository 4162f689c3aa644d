// Package authtest signs test users in to a running PatchMon server, so tests of any
// feature can call endpoints that need a user with a given role:
//
//	srv := patchmontest.NewServer(t, patchmon.DefaultConfig())
//	admin := authtest.Setup(t, srv.URL)               // the first super admin
//	viewer := authtest.CreateUser(t, srv.URL, admin, "readonly")
//	res, err := srv.Client.UsersListWithResponse(ctx, nil, viewer.Bearer())
//
// It talks to the server over HTTP only. Stability: stable; helpers may be added.
package authtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/openapi"
)

// Password satisfies the default password policy.
const Password = "Test-Passw0rd!"

// Session is a signed-in test user.
type Session struct {
	UserID       uuid.UUID
	Username     string
	Email        string
	Password     string
	Role         string
	Token        string
	RefreshToken string
}

// Bearer returns a request editor that authenticates generated-client calls as s.
func (s Session) Bearer() openapi.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+s.Token)
		return nil
	}
}

// Header returns the Authorization header value for s.
func (s Session) Header() string { return "Bearer " + s.Token }

// Setup creates the server's first user (a super admin) and returns its session. It fails
// the test when setup was already done.
func Setup(t testing.TB, baseURL string) Session {
	t.Helper()
	name := "admin" + randomHex(4)
	var out openapi.AuthTokenResponse
	status := Call(t, http.MethodPost, baseURL+"/api/v1/auth/setup-admin", "", map[string]any{
		"username": name, "email": name + "@example.com", "firstName": "Test", "lastName": "Admin", "password": Password,
	}, &out)
	if status != http.StatusCreated {
		t.Fatalf("authtest: setup-admin answered %d", status)
	}
	return Session{UserID: out.User.Id, Username: name, Email: out.User.Email, Password: Password, Role: out.User.Role,
		Token: out.Token, RefreshToken: out.RefreshToken}
}

// CreateUser creates a user with role through admin (who needs can_manage_users) and
// signs them in.
func CreateUser(t testing.TB, baseURL string, admin Session, role string) Session {
	t.Helper()
	name := role + randomHex(4)
	var u openapi.User
	status := Call(t, http.MethodPost, baseURL+"/api/v1/auth/admin/users", admin.Header(), map[string]any{
		"username": name, "email": name + "@example.com", "password": Password, "role": role,
	}, &u)
	if status != http.StatusCreated {
		t.Fatalf("authtest: creating a %s user answered %d", role, status)
	}
	s := Login(t, baseURL, name, Password)
	s.Email, s.Role = u.Email, u.Role
	return s
}

// Login signs a user in with a password; it fails the test unless that yields tokens
// (a user with 2FA gets a challenge instead: use the API directly for those).
func Login(t testing.TB, baseURL, username, password string) Session {
	t.Helper()
	var out openapi.AuthLoginResult
	status := Call(t, http.MethodPost, baseURL+"/api/v1/auth/login", "", map[string]any{"username": username, "password": password}, &out)
	if status != http.StatusOK || out.Token == nil || out.User == nil {
		t.Fatalf("authtest: login of %s answered %d (requiresTfa=%v)", username, status, out.RequiresTfa)
	}
	return Session{UserID: out.User.Id, Username: username, Email: out.User.Email, Password: password, Role: out.User.Role,
		Token: *out.Token, RefreshToken: *out.RefreshToken}
}

// Call sends a JSON request (body may be nil) with an optional Authorization header value,
// decodes a JSON answer into out when out is not nil, and returns the status.
func Call(t testing.TB, method, url, authorization string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("authtest: %v", err)
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatalf("authtest: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("authtest: %s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("authtest: %v", err)
	}
	if out != nil && res.StatusCode < 300 && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("authtest: decoding %s %s answer (%d): %v: %s", method, url, res.StatusCode, err, b)
		}
	}
	return res.StatusCode
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// String describes the session for test logs.
func (s Session) String() string { return fmt.Sprintf("%s (%s)", s.Username, s.Role) }
