package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/patchmon-go/patchmon/patchmon/patchmontest"
)

func TestMain(m *testing.M) { patchmontest.Main(m) }

func TestEmbeddedServerServesBoth(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := map[string]string{
		"DATABASE_URL": patchmontest.DatabaseURL(t),
		"JWT_SECRET":   "0123456789abcdef0123456789abcdef0123456789",
		"LOG_LEVEL":    "warn",
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-listen", addr}, func(k string) string { return env[k] }) }()

	get := func(path string) (int, string) {
		res, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := get("/health"); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("embedded PatchMon never became healthy")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, body := get("/hello"); code != 200 || body != "hello from the host program\n" {
		t.Fatalf("host route: %d %q", code, body)
	}
	if code, body := get("/health"); code != 200 || body != "healthy" {
		t.Fatalf("PatchMon route: %d %q", code, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not shut down")
	}
}
