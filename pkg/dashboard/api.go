package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/httpx"
	"github.com/patchmon-go/patchmon/pkg/users"
)

// CodeInvalidLayout is the error code of a refused layout.
const CodeInvalidLayout = "dashboard_invalid_layout"

// API implements the dashboard operations of openapi.StrictServerInterface. It answers
// 503 until a Service is bound.
type API struct {
	svc atomic.Pointer[Service]
}

// NewAPI returns an unbound API.
func NewAPI() *API { return &API{} }

// Bind makes the API serve with svc; nil unbinds it.
func (a *API) Bind(svc *Service) { a.svc.Store(svc) }

var (
	errUnavailable = httpx.NewError(http.StatusServiceUnavailable, httpx.CodeUnavailable, "Server is starting, try again shortly")
	errNoUser      = httpx.NewError(http.StatusUnauthorized, "unauthorized", "Authentication required")
)

func (a *API) service() (*Service, error) {
	if s := a.svc.Load(); s != nil {
		return s, nil
	}
	return nil, errUnavailable
}

// DashboardStats implements GET /api/v1/dashboard/stats.
func (a *API) DashboardStats(ctx context.Context, _ openapi.DashboardStatsRequestObject) (openapi.DashboardStatsResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	st, err := s.Stats(ctx)
	if err != nil {
		return nil, err
	}
	dist := make([]openapi.DashboardOSCount, len(st.OSDistribution))
	for i, o := range st.OSDistribution {
		dist[i] = openapi.DashboardOSCount{Name: o.Name, Count: o.Count}
	}
	return openapi.DashboardStats200JSONResponse{
		TotalHosts: st.TotalHosts, ActiveHosts: st.ActiveHosts, PendingHosts: st.PendingHosts, OfflineHosts: st.OfflineHosts,
		HostsNeedingUpdates: st.HostsNeedingUpdates, HostsWithSecurityUpdates: st.HostsWithSecurityUpdates,
		UpToDateHosts: st.UpToDateHosts, HostsNeedingReboot: st.HostsNeedingReboot,
		TotalOutdatedPackages: st.OutdatedPackages, SecurityUpdates: st.SecurityPackages,
		OsDistribution: dist, LastUpdated: st.At,
	}, nil
}

// DashboardTrends implements GET /api/v1/dashboard/trends.
func (a *API) DashboardTrends(ctx context.Context, req openapi.DashboardTrendsRequestObject) (openapi.DashboardTrendsResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	r := Range7d
	if req.Params.Range != nil {
		r = Range(*req.Params.Range)
	}
	points, bucket, err := s.Trends(ctx, r)
	if errors.Is(err, ErrUnknownRange) {
		return nil, &httpx.APIError{Status: http.StatusBadRequest, Code: httpx.CodeValidation,
			Message: "range must be one of 24h, 7d, 30d, 90d", Field: "range"}
	}
	if err != nil {
		return nil, err
	}
	out := openapi.DashboardTrends200JSONResponse{Range: openapi.DashboardTrendsRange(r), BucketSeconds: int(bucket.Seconds()),
		Points: make([]openapi.DashboardTrendPoint, len(points))}
	for i, p := range points {
		out.Points[i] = openapi.DashboardTrendPoint{CapturedAt: p.At, TotalHosts: p.TotalHosts,
			HostsNeedingUpdates: p.HostsNeedingUpdates, HostsWithSecurityUpdates: p.HostsWithSecurityUpdates,
			HostsNeedingReboot: p.HostsNeedingReboot, OfflineHosts: p.OfflineHosts,
			OutdatedPackages: p.OutdatedPackages, SecurityPackages: p.SecurityPackages}
	}
	return out, nil
}

// DashboardRecentActivity implements GET /api/v1/dashboard/recent-activity.
func (a *API) DashboardRecentActivity(ctx context.Context, req openapi.DashboardRecentActivityRequestObject) (openapi.DashboardRecentActivityResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	limit := 10
	if req.Params.Limit != nil {
		limit = min(max(*req.Params.Limit, 1), 50)
	}
	items, err := s.RecentActivity(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := openapi.DashboardRecentActivity200JSONResponse{Items: make([]openapi.DashboardActivityItem, len(items))}
	for i, it := range items {
		out.Items[i] = openapi.DashboardActivityItem{Id: it.ID, HostId: it.HostID, HostName: it.HostName,
			ReportType: openapi.DashboardActivityItemReportType(it.ReportType), Status: openapi.DashboardActivityItemStatus(it.Status),
			PackagesCount: it.PackagesCount, SecurityCount: it.SecurityCount, TotalPackages: it.TotalPackages,
			ErrorMessage: it.ErrorMessage, CreatedAt: it.At}
	}
	return out, nil
}

func toAPIPrefs(prefs []Preference) []openapi.DashboardCardPreference {
	out := make([]openapi.DashboardCardPreference, len(prefs))
	for i, p := range prefs {
		out[i] = openapi.DashboardCardPreference{CardId: p.CardID, Enabled: p.Enabled, Order: p.Order}
	}
	return out
}

// GetDashboardPreferences implements GET /api/v1/dashboard-preferences.
func (a *API) GetDashboardPreferences(ctx context.Context, _ openapi.GetDashboardPreferencesRequestObject) (openapi.GetDashboardPreferencesResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p, ok := users.PrincipalFrom(ctx)
	if !ok {
		return nil, errNoUser
	}
	prefs, custom, err := s.Layout(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	return openapi.GetDashboardPreferences200JSONResponse{Preferences: toAPIPrefs(prefs), Customised: custom}, nil
}

// UpdateDashboardPreferences implements PUT /api/v1/dashboard-preferences.
func (a *API) UpdateDashboardPreferences(ctx context.Context, req openapi.UpdateDashboardPreferencesRequestObject) (openapi.UpdateDashboardPreferencesResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	p, ok := users.PrincipalFrom(ctx)
	if !ok {
		return nil, errNoUser
	}
	in := make([]Preference, len(req.Body.Preferences))
	for i, c := range req.Body.Preferences {
		in[i] = Preference{CardID: c.CardId, Enabled: c.Enabled, Order: c.Order}
	}
	saved, err := s.SaveLayout(ctx, p.UserID, in)
	var le *LayoutError
	if errors.As(err, &le) {
		return nil, &httpx.APIError{Status: http.StatusBadRequest, Code: CodeInvalidLayout, Message: le.Message,
			Field: fmt.Sprintf("preferences[%d].cardId", le.Index)}
	}
	if err != nil {
		return nil, err
	}
	return openapi.UpdateDashboardPreferences200JSONResponse{Message: "Dashboard preferences updated successfully",
		Preferences: toAPIPrefs(saved)}, nil
}

// GetDashboardPreferenceDefaults implements GET /api/v1/dashboard-preferences/defaults.
func (a *API) GetDashboardPreferenceDefaults(ctx context.Context, _ openapi.GetDashboardPreferenceDefaultsRequestObject) (openapi.GetDashboardPreferenceDefaultsResponseObject, error) {
	out := make(openapi.GetDashboardPreferenceDefaults200JSONResponse, len(Cards))
	for i, c := range Cards {
		out[i] = openapi.DashboardCardDefault{CardId: c.ID, Title: c.Title, Description: c.Description, Enabled: c.Default, Order: i}
	}
	return out, nil
}
