package reports

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// API serves the scheduled-report operations of openapi.StrictServerInterface. It answers
// 503 until a Service is bound.
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

func runOut(r Run) openapi.ReportRun {
	return openapi.ReportRun{Id: r.ID, ScheduleId: r.ScheduleID, Trigger: openapi.ReportRunTrigger(r.Trigger),
		Status: openapi.ReportRunStatus(r.Status), Format: openapi.ReportFormat(r.Format), Error: r.Error, SizeBytes: r.SizeBytes,
		HostCount: r.HostCount, Deliveries: r.Deliveries, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt}
}

func scheduleOut(s Schedule) openapi.ReportSchedule {
	out := openapi.ReportSchedule{Id: s.ID, Name: s.Name, Enabled: s.Enabled, Cron: s.Cron, Timezone: s.Timezone,
		Format: openapi.ReportFormat(s.Format), TopPackages: s.TopPackages, HostGroupIds: s.HostGroupIDs,
		DestinationIds: s.DestinationIDs, NextRunAt: s.NextRunAt, LastRunAt: s.LastRunAt, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	if s.LastRun != nil {
		r := runOut(*s.LastRun)
		out.LastRun = &r
	}
	return out
}

func scheduleIn(b *openapi.ReportScheduleInput) ScheduleInput {
	in := ScheduleInput{Name: b.Name, Enabled: b.Enabled == nil || *b.Enabled, Cron: b.Cron, TopPackages: b.TopPackages,
		DestinationIDs: b.DestinationIds}
	if b.Timezone != nil {
		in.Timezone = *b.Timezone
	}
	if b.Format != nil {
		in.Format = string(*b.Format)
	}
	if b.HostGroupIds != nil {
		in.HostGroupIDs = *b.HostGroupIds
	}
	return in
}

// ListReportSchedules implements GET /api/v1/scheduled-reports.
func (a *API) ListReportSchedules(ctx context.Context, _ openapi.ListReportSchedulesRequestObject) (openapi.ListReportSchedulesResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	list, err := s.ListSchedules(ctx)
	if err != nil {
		return nil, err
	}
	out := make(openapi.ListReportSchedules200JSONResponse, len(list))
	for i, x := range list {
		out[i] = scheduleOut(x)
	}
	return out, nil
}

// CreateReportSchedule implements POST /api/v1/scheduled-reports.
func (a *API) CreateReportSchedule(ctx context.Context, req openapi.CreateReportScheduleRequestObject) (openapi.CreateReportScheduleResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	x, err := s.CreateSchedule(ctx, scheduleIn(req.Body))
	if err != nil {
		return nil, err
	}
	return openapi.CreateReportSchedule201JSONResponse(scheduleOut(x)), nil
}

// GetReportSchedule implements GET /api/v1/scheduled-reports/{scheduleId}.
func (a *API) GetReportSchedule(ctx context.Context, req openapi.GetReportScheduleRequestObject) (openapi.GetReportScheduleResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	x, err := s.GetSchedule(ctx, req.ScheduleId)
	if err != nil {
		return nil, err
	}
	return openapi.GetReportSchedule200JSONResponse(scheduleOut(x)), nil
}

// UpdateReportSchedule implements PUT /api/v1/scheduled-reports/{scheduleId}.
func (a *API) UpdateReportSchedule(ctx context.Context, req openapi.UpdateReportScheduleRequestObject) (openapi.UpdateReportScheduleResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	x, err := s.UpdateSchedule(ctx, req.ScheduleId, scheduleIn(req.Body))
	if err != nil {
		return nil, err
	}
	return openapi.UpdateReportSchedule200JSONResponse(scheduleOut(x)), nil
}

// DeleteReportSchedule implements DELETE /api/v1/scheduled-reports/{scheduleId}.
func (a *API) DeleteReportSchedule(ctx context.Context, req openapi.DeleteReportScheduleRequestObject) (openapi.DeleteReportScheduleResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	if err := s.DeleteSchedule(ctx, req.ScheduleId); err != nil {
		return nil, err
	}
	return openapi.DeleteReportSchedule204Response{}, nil
}

// RunReportSchedule implements POST /api/v1/scheduled-reports/{scheduleId}/run.
func (a *API) RunReportSchedule(ctx context.Context, req openapi.RunReportScheduleRequestObject) (openapi.RunReportScheduleResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	r, err := s.RunNow(ctx, req.ScheduleId)
	if err != nil {
		return nil, err
	}
	return openapi.RunReportSchedule200JSONResponse(runOut(r)), nil
}

// ListReportRuns implements GET /api/v1/scheduled-reports/{scheduleId}/runs.
func (a *API) ListReportRuns(ctx context.Context, req openapi.ListReportRunsRequestObject) (openapi.ListReportRunsResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	limit := 0
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	runs, err := s.ListRuns(ctx, req.ScheduleId, limit)
	if err != nil {
		return nil, err
	}
	out := make(openapi.ListReportRuns200JSONResponse, len(runs))
	for i, r := range runs {
		out[i] = runOut(r)
	}
	return out, nil
}

// PreviewReportSchedule implements GET /api/v1/scheduled-reports/next-runs.
func (a *API) PreviewReportSchedule(ctx context.Context, req openapi.PreviewReportScheduleRequestObject) (openapi.PreviewReportScheduleResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	tz := s.cfg.DefaultTimezone
	if req.Params.Timezone != nil && *req.Params.Timezone != "" {
		tz = *req.Params.Timezone
	}
	n := 5
	if req.Params.Count != nil {
		n = *req.Params.Count
	}
	out := openapi.PreviewReportSchedule200JSONResponse{Timezone: &tz, NextRuns: []time.Time{}}
	runs, err := NextRuns(req.Params.Cron, tz, s.now(), n)
	if err != nil {
		msg := err.Error()
		out.Error = &msg
		return out, nil
	}
	out.Valid, out.NextRuns = true, runs
	return out, nil
}

// GetReportOptions implements GET /api/v1/scheduled-reports/options.
func (a *API) GetReportOptions(ctx context.Context, _ openapi.GetReportOptionsRequestObject) (openapi.GetReportOptionsResponseObject, error) {
	s, err := a.service()
	if err != nil {
		return nil, err
	}
	out := openapi.GetReportOptions200JSONResponse{DefaultTimezone: s.cfg.DefaultTimezone,
		Formats:      []openapi.ReportFormat{FormatHTML, FormatCSV, FormatJSON},
		Destinations: []openapi.ReportDestinationRef{}, HostGroups: []openapi.NotificationNamedRef{}}
	dests, groups, err := s.Options(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range dests {
		out.Destinations = append(out.Destinations, openapi.ReportDestinationRef{Id: d.ID, Name: d.Name,
			Type: openapi.NotificationDestinationType(d.Type), Enabled: d.Enabled})
	}
	for _, g := range groups {
		out.HostGroups = append(out.HostGroups, openapi.NotificationNamedRef{Id: g.ID, Name: g.Name})
	}
	return out, nil
}
