package patchmon

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/agenthub"
	"github.com/patchmon-go/patchmon/pkg/inventory"
	"github.com/patchmon-go/patchmon/pkg/users"
	"github.com/patchmon-go/patchmon/pkg/wsproto"
)

// inventoryAuth lets the agent hub check credentials with the inventory, whose cache
// answers repeat connections without bcrypt.
type inventoryAuth struct{ svc *inventory.Service }

var _ agenthub.Authenticator = inventoryAuth{}

func (a inventoryAuth) AuthenticateAgent(ctx context.Context, apiID, apiKey string) (agenthub.HostRef, error) {
	ag, err := a.svc.Authenticate(ctx, apiID, apiKey)
	switch {
	case errors.Is(err, inventory.ErrMissingCredentials):
		return agenthub.HostRef{}, agenthub.ErrMissingCredentials
	case errors.Is(err, inventory.ErrInvalidCredentials):
		return agenthub.HostRef{}, agenthub.ErrInvalidCredentials
	case errors.Is(err, inventory.ErrHostNotFound):
		return agenthub.HostRef{}, agenthub.ErrHostNotFound
	case err != nil:
		return agenthub.HostRef{}, err
	}
	return agenthub.HostRef{ID: ag.HostID, APIID: ag.APIID, Generation: ag.Generation}, nil
}

// startHub starts the agent hub on the database and store opened by Start. Called with
// s.mu held, after startInventory and startAuth.
func (s *Server) startHub(ctx context.Context) error {
	hub, err := agenthub.New(agenthub.Config{
		DB:     s.db,
		Bus:    s.store,
		Cache:  s.store,
		Auth:   inventoryAuth{svc: s.inventorySvc},
		Logger: s.log.With("component", "agenthub"),
		ViewerFrom: func(ctx context.Context) (agenthub.Viewer, bool) {
			p, ok := users.PrincipalFrom(ctx)
			if !ok {
				return nil, false
			}
			return p, true
		},
		TrustedOrigin: func(r *http.Request) bool {
			a, err := s.authService()
			return err == nil && a.TrustedOrigin(r)
		},
	})
	if err != nil {
		return err
	}
	if err := hub.Start(ctx); err != nil {
		return err
	}
	s.hub = hub
	s.realtime.Bind(hub)
	s.inventory.BindAgents(hubControl{hub: hub})
	return nil
}

// hubControl lets the host endpoints close and command agents through the hub.
type hubControl struct{ hub *agenthub.Hub }

var _ inventory.AgentControl = hubControl{}

func (c hubControl) Disconnect(ctx context.Context, hostID uuid.UUID) error {
	return c.hub.Disconnect(ctx, hostID)
}

func (c hubControl) Send(ctx context.Context, hostID uuid.UUID, m wsproto.Message) (string, error) {
	d, err := c.hub.Send(ctx, hostID, m)
	return string(d.Status), err
}

// stopHub closes the agent connections (recording their hosts offline) before the store
// and the database go away.
func (s *Server) stopHub(ctx context.Context) error {
	s.realtime.Bind(nil)
	s.inventory.BindAgents(nil)
	if s.hub == nil {
		return nil
	}
	err := s.hub.Shutdown(ctx)
	s.hub = nil
	return err
}

// Hub returns the agent hub of a started server (nil before Start): embedders send
// commands to agents and read presence through it.
func (s *Server) Hub() *agenthub.Hub {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hub
}

// publishReports announces every stored agent report on the bus for the dashboard stream
// (agenthub.ChannelReports). It is a strict middleware on postHostsUpdate, so the inventory
// needs no knowledge of the real-time layer; publishing is best effort.
func (s *Server) publishReports(f openapi.StrictHandlerFunc, operationID string) openapi.StrictHandlerFunc {
	if operationID != "PostHostsUpdate" {
		return f
	}
	return func(ctx context.Context, w http.ResponseWriter, r *http.Request, request any) (any, error) {
		resp, err := f(ctx, w, r, request)
		out, ok := resp.(openapi.PostHostsUpdate200JSONResponse)
		if err != nil || !ok {
			return resp, err
		}
		a, ok := inventory.AgentFromContext(ctx)
		if !ok {
			return resp, err
		}
		ev := agenthub.ReportEvent{HostID: a.HostID, APIID: a.APIID, Kind: "full", PackagesProcessed: out.PackagesProcessed,
			UpdatesAvailable: out.UpdatesAvailable, SecurityUpdates: out.SecurityUpdates}
		if rep, ok := inventory.ReportFromContext(ctx); ok {
			if len(rep.Sections) > 0 {
				ev.Kind = "partial"
			}
			ev.NeedsReboot = rep.NeedsReboot
		}
		if st, serr := s.kvStore(); serr == nil {
			if perr := agenthub.PublishReport(context.WithoutCancel(ctx), st, ev); perr != nil {
				s.log.WarnContext(ctx, "publishing report event failed", "host_id", a.HostID, "err", perr)
			}
		}
		return resp, err
	}
}
