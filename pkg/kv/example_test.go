package kv_test

import (
	"context"
	"fmt"
	"time"

	"github.com/patchmon-go/patchmon/pkg/kv"
)

// A consumer declares the narrow interface it needs; either store fits.
func ExampleLimiter() {
	var lim kv.Limiter = kv.NewMemory()
	defer lim.(kv.Store).Close()

	ctx := context.Background()
	for range 3 {
		d, err := lim.Allow(ctx, "login:203.0.113.7", 2, 10*time.Minute)
		if err != nil {
			panic(err)
		}
		fmt.Println(d.Allowed, d.Remaining, d.RetryAfter > 0)
	}
	// Output:
	// true 1 false
	// true 0 false
	// false 0 true
}

func ExampleTokens() {
	store := kv.NewMemory()
	defer store.Close()

	ctx := context.Background()
	_ = store.Put(ctx, "bootstrap:abc", []byte("host-42"), 300*time.Second)
	v, ok, _ := store.Take(ctx, "bootstrap:abc")
	fmt.Println(string(v), ok)
	_, ok, _ = store.Take(ctx, "bootstrap:abc")
	fmt.Println(ok)
	// Output:
	// host-42 true
	// false
}

func ExampleBus() {
	store := kv.NewMemory()
	defer store.Close()

	ctx := context.Background()
	got := make(chan string)
	cancel, err := store.Subscribe(ctx, "agent:42", func(msg []byte) { got <- string(msg) })
	if err != nil {
		panic(err)
	}
	defer cancel()
	_ = store.Publish(ctx, "agent:42", []byte("refresh"))
	fmt.Println(<-got)
	// Output: refresh
}

// Open a shared Redis store, as a replicated server does.
func ExampleNewRedis() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	opts, err := kv.ParseRedisURL("redis://localhost:6379/0")
	if err != nil {
		panic(err)
	}
	client, err := kv.OpenRedis(ctx, opts)
	if err != nil {
		fmt.Println("no redis:", err)
		return
	}
	defer client.Close()
	store := kv.NewRedis(client, "patchmon:")
	defer store.Close()
	_ = store.Set(ctx, "agent-cred:abc", []byte("ok"), time.Minute)
}
