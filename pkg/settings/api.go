package settings

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// API implements the settings and branding operations of openapi.StrictServerInterface.
// It answers 503 until a Service is bound.
type API struct {
	svc atomic.Pointer[Service]
}

// NewAPI returns an unbound API.
func NewAPI() *API { return &API{} }

// Bind makes the API serve with svc; nil unbinds it.
func (a *API) Bind(svc *Service) { a.svc.Store(svc) }

var errUnavailable = httpx.NewError(http.StatusServiceUnavailable, httpx.CodeUnavailable, "Server is starting, try again shortly")

func (a *API) service() (*Service, error) {
	if s := a.svc.Load(); s != nil {
		return s, nil
	}
	return nil, errUnavailable
}

func (s *Service) toAPI(ctx context.Context, st Settings) (openapi.ServerSettings, error) {
	b, err := s.Branding(ctx)
	if err != nil {
		return openapi.ServerSettings{}, err
	}
	src := openapi.ServerSettingsServerUrlSourceEnvironment
	if st.ServerURLFromSettings {
		src = openapi.ServerSettingsServerUrlSourceSettings
	}
	return openapi.ServerSettings{
		ServerProtocol:      openapi.ServerSettingsServerProtocol(st.ServerProtocol),
		ServerHost:          st.ServerHost,
		ServerPort:          st.ServerPort,
		ServerUrl:           st.ServerURL,
		ServerUrlSource:     src,
		UpdateInterval:      st.UpdateInterval,
		AutoUpdate:          st.AutoUpdate,
		IgnoreSslSelfSigned: st.IgnoreSSLSelfSigned,
		LogoDark:            b[LogoDark].URL(),
		LogoLight:           b[LogoLight].URL(),
		Favicon:             b[Favicon].URL(),
		UpdatedAt:           st.UpdatedAt,
	}, nil
}

// GetServerSettings implements GET /api/v1/settings.
func (a *API) GetServerSettings(ctx context.Context, _ openapi.GetServerSettingsRequestObject) (openapi.GetServerSettingsResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	st, err := s.Get(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.toAPI(ctx, st)
	if err != nil {
		return nil, err
	}
	return openapi.GetServerSettings200JSONResponse(out), nil
}

// UpdateServerSettings implements PUT /api/v1/settings.
func (a *API) UpdateServerSettings(ctx context.Context, req openapi.UpdateServerSettingsRequestObject) (openapi.UpdateServerSettingsResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	b := req.Body
	u := Update{ServerHost: b.ServerHost, ServerPort: b.ServerPort, UpdateInterval: b.UpdateInterval,
		AutoUpdate: b.AutoUpdate, IgnoreSSLSelfSigned: b.IgnoreSslSelfSigned}
	if b.ServerProtocol != nil {
		p := string(*b.ServerProtocol)
		u.ServerProtocol = &p
	}
	res, err := s.Update(ctx, u)
	if err != nil {
		return nil, err
	}
	out, err := s.toAPI(ctx, res.Settings)
	if err != nil {
		return nil, err
	}
	resp := openapi.UpdateServerSettings200JSONResponse{Message: "Settings updated successfully", Settings: out}
	if res.IntervalChanged {
		n := &openapi.AgentsNotified{Delivered: res.Notified.Delivered, Offline: res.Notified.Offline, Failed: res.Notified.Failed}
		if res.PushErr != nil {
			msg := "The new interval could not be pushed to connected agents; they pick it up when they next start"
			n.Error = &msg
		}
		resp.AgentsNotified = n
	}
	return resp, nil
}

func brandingToAPI(b map[Kind]Asset) openapi.Branding {
	conv := func(a Asset) openapi.BrandingAsset {
		out := openapi.BrandingAsset{Url: a.URL(), Custom: a.Custom, ContentType: a.ContentType, Size: a.Size}
		if a.Custom {
			t := a.UpdatedAt
			out.UpdatedAt = &t
		}
		return out
	}
	return openapi.Branding{LogoDark: conv(b[LogoDark]), LogoLight: conv(b[LogoLight]), Favicon: conv(b[Favicon])}
}

// GetBranding implements GET /api/v1/settings/branding.
func (a *API) GetBranding(ctx context.Context, _ openapi.GetBrandingRequestObject) (openapi.GetBrandingResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	b, err := s.Branding(ctx)
	if err != nil {
		return nil, err
	}
	return openapi.GetBranding200JSONResponse(brandingToAPI(b)), nil
}

// UploadBrandingAsset implements POST /api/v1/settings/logos/upload.
func (a *API) UploadBrandingAsset(ctx context.Context, req openapi.UploadBrandingAssetRequestObject) (openapi.UploadBrandingAssetResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	k, ok := KindFromLogoType(string(req.Body.LogoType))
	if !ok {
		return nil, invalid(CodeInvalidSetting, "logoType", "Logo type must be 'dark', 'light', or 'favicon'")
	}
	file, err := DecodeUpload(req.Body.FileContent)
	if err != nil {
		return nil, err
	}
	name := ""
	if req.Body.FileName != nil {
		name = strings.TrimSpace(*req.Body.FileName)
	}
	if _, err := s.Upload(ctx, k, file, name); err != nil {
		return nil, err
	}
	b, err := s.Branding(ctx)
	if err != nil {
		return nil, err
	}
	return openapi.UploadBrandingAsset200JSONResponse{Message: label(k) + " uploaded successfully", Branding: brandingToAPI(b)}, nil
}

// DeleteBrandingAsset implements DELETE /api/v1/settings/logos/{logoType}.
func (a *API) DeleteBrandingAsset(ctx context.Context, req openapi.DeleteBrandingAssetRequestObject) (openapi.DeleteBrandingAssetResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	k, ok := KindFromLogoType(string(req.LogoType))
	if !ok {
		return nil, invalid(CodeInvalidSetting, "logoType", "Logo type must be 'dark', 'light', or 'favicon'")
	}
	if err := s.Remove(ctx, k); err != nil {
		return nil, err
	}
	b, err := s.Branding(ctx)
	if err != nil {
		return nil, err
	}
	return openapi.DeleteBrandingAsset200JSONResponse{Message: label(k) + " reset to the default", Branding: brandingToAPI(b)}, nil
}

func label(k Kind) string {
	switch k {
	case LogoDark:
		return "Dark logo"
	case LogoLight:
		return "Light logo"
	}
	return "Favicon"
}

// assetResponse writes a branding file (or 304) with its caching headers. It implements
// the three generated response interfaces, whose content types it replaces by the file's.
type assetResponse struct {
	asset       Asset
	notModified bool
	pinned      bool // the request named the current version (?v=)
}

func (r assetResponse) visit(w http.ResponseWriter) error {
	h := w.Header()
	h.Set("ETag", `"`+r.asset.Version+`"`)
	if r.pinned {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	if r.notModified {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	// An uploaded SVG opened on its own must not run anything, whatever slipped through
	// validation.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Type", r.asset.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(r.asset.Data)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(r.asset.Data)
	return err
}

func (r assetResponse) VisitGetBrandingLogoDarkResponse(w http.ResponseWriter) error {
	return r.visit(w)
}
func (r assetResponse) VisitGetBrandingLogoLightResponse(w http.ResponseWriter) error {
	return r.visit(w)
}
func (r assetResponse) VisitGetBrandingFaviconResponse(w http.ResponseWriter) error {
	return r.visit(w)
}

var (
	_ openapi.GetBrandingLogoDarkResponseObject  = assetResponse{}
	_ openapi.GetBrandingLogoLightResponseObject = assetResponse{}
	_ openapi.GetBrandingFaviconResponseObject   = assetResponse{}
)

func (a *API) serveAsset(ctx context.Context, k Kind, v, ifNoneMatch *string) (assetResponse, error) {
	s, err := a.service()
	if err != nil {
		return assetResponse{}, err
	}
	ver, err := s.AssetVersion(ctx, k)
	if err != nil {
		return assetResponse{}, err
	}
	pinned := v != nil && *v == ver
	if ifNoneMatch != nil && etagMatches(*ifNoneMatch, ver) {
		return assetResponse{asset: Asset{Kind: k, Version: ver}, notModified: true, pinned: pinned}, nil
	}
	asset, err := s.Asset(ctx, k)
	if err != nil {
		return assetResponse{}, err
	}
	return assetResponse{asset: asset, pinned: v != nil && *v == asset.Version}, nil
}

func etagMatches(header, version string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == `"`+version+`"` {
			return true
		}
	}
	return false
}

// GetBrandingLogoDark implements GET /assets/logo_dark.png.
func (a *API) GetBrandingLogoDark(ctx context.Context, req openapi.GetBrandingLogoDarkRequestObject) (openapi.GetBrandingLogoDarkResponseObject, error) {
	return a.serveAsset(ctx, LogoDark, req.Params.V, req.Params.IfNoneMatch)
}

// GetBrandingLogoLight implements GET /assets/logo_light.png.
func (a *API) GetBrandingLogoLight(ctx context.Context, req openapi.GetBrandingLogoLightRequestObject) (openapi.GetBrandingLogoLightResponseObject, error) {
	return a.serveAsset(ctx, LogoLight, req.Params.V, req.Params.IfNoneMatch)
}

// GetBrandingFavicon implements GET /assets/favicon.svg.
func (a *API) GetBrandingFavicon(ctx context.Context, req openapi.GetBrandingFaviconRequestObject) (openapi.GetBrandingFaviconResponseObject, error) {
	return a.serveAsset(ctx, Favicon, req.Params.V, req.Params.IfNoneMatch)
}
