package patchmon

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/agenthub"
	"github.com/patchmon-go/patchmon/pkg/auth"
	"github.com/patchmon-go/patchmon/pkg/enrollment"
	"github.com/patchmon-go/patchmon/pkg/integrationapi"
	"github.com/patchmon-go/patchmon/pkg/inventory"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// api composes the feature handlers into the generated strict server interface by
// embedding: each feature type implements its operations with the generated signatures,
// and the compiler insists every operation in the spec has exactly one implementation.
type api struct {
	*systemAPI
	*inventory.API
	*auth.Handlers
	*users.AdminAPI
	*agenthub.Endpoints
	*enrollment.EnrollAPI
	*integrationHandlers
	*jobsHandlers
	*alertsHandlers
	*notifyHandlers
	*reportHandlers
	*dashboardHandlers
	*settingsHandlers
}

// integrationHandlers names integrationapi.API for embedding next to inventory.API.
type integrationHandlers = integrationapi.API

var _ openapi.StrictServerInterface = (*api)(nil)

// systemAPI serves health, the API description and the API reference page.
type systemAPI struct{ s *Server }

// GetHealth implements GET /health.
func (h *systemAPI) GetHealth(ctx context.Context, req openapi.GetHealthRequestObject) (openapi.GetHealthResponseObject, error) {
	rep := h.s.checkHealth(ctx)
	healthy := rep.Status == openapi.HealthStatusHealthy
	if req.Params.Format != nil && *req.Params.Format == openapi.GetHealthParamsFormatJson {
		if healthy {
			return openapi.GetHealth200JSONResponse(rep), nil
		}
		return openapi.GetHealth503JSONResponse(rep), nil
	}
	if healthy {
		return openapi.GetHealth200TextResponse("healthy"), nil
	}
	return openapi.GetHealth503TextResponse("unhealthy"), nil
}

// checkHealth pings the database and the shared store, each bounded to two seconds.
func (s *Server) checkHealth(ctx context.Context) openapi.Health {
	rep := openapi.Health{Status: openapi.HealthStatusHealthy, Version: s.cfg.Version, Timestamp: time.Now().UTC()}
	if !s.started.IsZero() {
		rep.UptimeSeconds = int64(time.Since(s.started).Seconds())
	}
	dbMode := "external"
	if s.embeddedDB {
		dbMode = "embedded"
	}
	rep.Database = probe(ctx, dbMode, func(ctx context.Context) error {
		d, err := s.dbHandle()
		if err != nil {
			return err
		}
		return d.Pool.Ping(ctx)
	})
	redisMode := "in-process"
	if s.cfg.redisEnabled() {
		redisMode = "external"
	}
	rep.Redis = probe(ctx, redisMode, func(ctx context.Context) error {
		st, err := s.kvStore()
		if err != nil {
			return err
		}
		return st.Ping(ctx)
	})
	if !s.cfg.redisEnabled() && rep.Redis.Status == openapi.DependencyHealthStatusUp {
		rep.Redis.Status = openapi.DependencyHealthStatusDisabled
	}
	// Redis being down degrades rate limits and fan-out, but the database is what makes
	// the server unusable, so only it decides the status code.
	if rep.Database.Status != openapi.DependencyHealthStatusUp {
		rep.Status = openapi.HealthStatusUnhealthy
	}
	return rep
}

func probe(ctx context.Context, mode string, ping func(context.Context) error) openapi.DependencyHealth {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	err := ping(ctx)
	ms := float64(time.Since(start).Microseconds()) / 1000
	d := openapi.DependencyHealth{Status: openapi.DependencyHealthStatusUp, Mode: &mode, LatencyMs: &ms}
	if err != nil {
		msg := err.Error()
		d.Status, d.Error = openapi.DependencyHealthStatusDown, &msg
	}
	return d
}

// GetOpenAPIDocument implements GET /api/v1/openapi.json.
func (h *systemAPI) GetOpenAPIDocument(ctx context.Context, _ openapi.GetOpenAPIDocumentRequestObject) (openapi.GetOpenAPIDocumentResponseObject, error) {
	b, err := json.Marshal(h.s.spec)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	return openapi.GetOpenAPIDocument200JSONResponse(doc), nil
}

//go:embed apidocs.html
var apiDocsHTML []byte

// apiReferencePage is the self-contained reference page; its script runs under a per-response
// nonce so the strict Content-Security-Policy stays in force.
type apiReferencePage struct{ body []byte }

func (p apiReferencePage) VisitGetAPIReferenceResponse(w http.ResponseWriter) error {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	n := base64.StdEncoding.EncodeToString(nonce)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Security-Policy", strings.Replace(
		"default-src 'self'; script-src 'nonce-N'; style-src 'nonce-N'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
		"N", n, -1))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(bytes.ReplaceAll(p.body, []byte("{{NONCE}}"), []byte(n)))
	return err
}

// GetAPIReference implements GET /api/v1/api-docs.
func (h *systemAPI) GetAPIReference(ctx context.Context, _ openapi.GetAPIReferenceRequestObject) (openapi.GetAPIReferenceResponseObject, error) {
	return apiReferencePage{body: apiDocsHTML}, nil
}
