package agenthub_test

import (
	"context"
	"log"
	"net/http"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/pkg/agenthub"
	"github.com/patchmon-go/patchmon/pkg/db"
	"github.com/patchmon-go/patchmon/pkg/kv"
	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

// A program embedding the hub on its own: the agent WebSocket is mounted on an
// HTTP server, and commands go to any host, wherever its agent is connected.
func Example() {
	ctx := context.Background()
	var database *db.DB             // a pool on a database migrated by pkg/dbmigrate
	store := kv.NewMemory()         // or kv.NewRedis for several replicas
	var auth agenthub.Authenticator // checks X-API-ID / X-API-KEY, e.g. with pkg/inventory

	hub, err := agenthub.New(agenthub.Config{DB: database, Bus: store, Cache: store, Auth: auth})
	if err != nil {
		log.Fatal(err)
	}
	if err := hub.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer hub.Shutdown(ctx)
	http.HandleFunc("GET /api/v1/agents/ws", hub.ServeAgent)

	host := uuid.MustParse("6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f")
	d, err := hub.Send(ctx, host, wsproto.ReportNow{})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("report_now to %s: %s", d.APIID, d.Status)

	// Every host of the fleet, on every replica:
	res, err := hub.SendTo(ctx, agenthub.Fleet, wsproto.SettingsUpdate{UpdateInterval: 30})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("settings_update: %d delivered, %d offline, %d failed", res.Delivered, res.Offline, res.Failed)
}
