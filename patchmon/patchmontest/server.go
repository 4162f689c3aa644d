package patchmontest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"testing"
	"time"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/patchmon"
)

// Server is a started PatchMon server listening on a random loopback port.
type Server struct {
	*patchmon.Server
	// URL is the server's base URL, such as http://127.0.0.1:41234.
	URL string
	// Client is a generated API client pointed at URL.
	Client *openapi.ClientWithResponses
}

// offlineResolver fails every lookup, as a resolver without network access does.
type offlineResolver struct{}

func (offlineResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	return nil, &net.DNSError{Err: "no network in tests", Name: name, IsNotFound: true}
}

// NewServer starts a server for the test and shuts it down in t.Cleanup. Unless cfg says
// otherwise it gets its own fresh database (DatabaseURL; the embedded mode is
// tested by calling patchmon.New directly), a random JWT secret, a free port on
// 127.0.0.1 (unless cfg sets ListenAddr), the kit's Logger and a DNS resolver that finds
// nothing (unless cfg sets DNSResolver). cfg is otherwise used as given: start from
// patchmon.DefaultConfig() to get the documented defaults of boolean settings.
func NewServer(t testing.TB, cfg patchmon.Config) *Server {
	t.Helper()
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = DatabaseURL(t)
	}
	if cfg.JWTSecret == "" {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		cfg.JWTSecret = hex.EncodeToString(b)
	}
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger = Logger(t)
	}
	if cfg.DNSResolver == nil {
		// Tests do not reach the network: the version check finds nothing, as offline.
		cfg.DNSResolver = offlineResolver{}
	}
	srv, err := patchmon.New(cfg)
	if err != nil {
		t.Fatalf("patchmontest: new server: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		t.Fatalf("patchmontest: start server: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("patchmontest: shutdown: %v", err)
		}
	})
	s := &Server{Server: srv, URL: srv.URL()}
	if s.URL != "" {
		c, err := openapi.NewClientWithResponses(s.URL)
		if err != nil {
			t.Fatalf("patchmontest: client: %v", err)
		}
		s.Client = c
	}
	return s
}
