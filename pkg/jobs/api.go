package jobs

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"

	"github.com/patchmon-go/patchmon/openapi"
	"github.com/patchmon-go/patchmon/pkg/httpx"
)

// ErrJobNotFound is the API error for an unknown job name.
var ErrJobNotFound = httpx.NewError(http.StatusNotFound, "job_not_found", "Job not found")

var errUnavailable = httpx.NewError(http.StatusServiceUnavailable, httpx.CodeUnavailable, "Server is starting, try again shortly")

// API implements the jobs, job history, version check and metrics operations of
// openapi.StrictServerInterface. It answers 503 until bound.
type API struct {
	b atomic.Pointer[Bound]
}

// Bound is what the API serves from.
type Bound struct {
	Service  *Service
	Versions *VersionChecker
	Metrics  *MetricsReporter
}

// NewAPI returns an unbound API.
func NewAPI() *API { return &API{} }

// Bind makes the API serve b; nil unbinds it.
func (a *API) Bind(b *Bound) { a.b.Store(b) }

func (a *API) bound() (*Bound, error) {
	if b := a.b.Load(); b != nil && b.Service != nil {
		return b, nil
	}
	return nil, errUnavailable
}

func runJSON(r Run) openapi.JobRun {
	out := openapi.JobRun{Id: r.ID, JobName: r.JobName, RiverJobId: r.RiverJobID, Attempt: r.Attempt,
		Status: openapi.JobRunStatus(r.Status), HostId: r.HostID, HostName: r.HostName, Trigger: openapi.JobRunTrigger(r.Trigger),
		Replica: r.Replica, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, DurationMs: r.Duration.Milliseconds(),
		Error: r.Error, Output: r.Output}
	return out
}

func runPage(runs []Run, total int64) openapi.JobRunPage {
	p := openapi.JobRunPage{Runs: make([]openapi.JobRun, len(runs)), Total: total}
	for i, r := range runs {
		p.Runs[i] = runJSON(r)
	}
	return p
}

func deref[T any](p *T) T {
	var z T
	if p == nil {
		return z
	}
	return *p
}

// ListJobs implements GET /api/v1/jobs.
func (a *API) ListJobs(ctx context.Context, _ openapi.ListJobsRequestObject) (openapi.ListJobsResponseObject, error) {
	b, err := a.bound()
	if err != nil {
		return nil, err
	}
	sums, err := b.Service.Summaries(ctx)
	if err != nil {
		return nil, err
	}
	out := openapi.ListJobs200JSONResponse{Jobs: make([]openapi.JobInfo, len(sums))}
	for i, s := range sums {
		ji := openapi.JobInfo{Name: s.Name, Description: s.Description, IntervalSeconds: int64(s.Interval.Seconds()),
			HostJob: s.RunHost != nil, Runs: s.Runs, Failures: s.Failures}
		if s.LastRun != nil {
			r := runJSON(*s.LastRun)
			ji.LastRun = &r
		}
		out.Jobs[i] = ji
	}
	return out, nil
}

// ListJobHistory implements GET /api/v1/jobs/history.
func (a *API) ListJobHistory(ctx context.Context, req openapi.ListJobHistoryRequestObject) (openapi.ListJobHistoryResponseObject, error) {
	b, err := a.bound()
	if err != nil {
		return nil, err
	}
	p := req.Params
	runs, total, err := b.Service.History(ctx, Filter{JobName: deref(p.Job), HostID: p.HostId,
		Status: string(deref(p.Status)), Limit: deref(p.Limit), Offset: deref(p.Offset)})
	if err != nil {
		return nil, err
	}
	return openapi.ListJobHistory200JSONResponse(runPage(runs, total)), nil
}

// ListHostJobs implements GET /api/v1/hosts/{hostId}/jobs.
func (a *API) ListHostJobs(ctx context.Context, req openapi.ListHostJobsRequestObject) (openapi.ListHostJobsResponseObject, error) {
	b, err := a.bound()
	if err != nil {
		return nil, err
	}
	id := req.HostId
	runs, total, err := b.Service.History(ctx, Filter{HostID: &id, Limit: deref(req.Params.Limit), Offset: deref(req.Params.Offset)})
	if err != nil {
		return nil, err
	}
	return openapi.ListHostJobs200JSONResponse(runPage(runs, total)), nil
}

// RunJob implements POST /api/v1/jobs/{jobName}/run.
func (a *API) RunJob(ctx context.Context, req openapi.RunJobRequestObject) (openapi.RunJobResponseObject, error) {
	b, err := a.bound()
	if err != nil {
		return nil, err
	}
	id, err := b.Service.RunNow(ctx, req.JobName)
	if errors.Is(err, ErrUnknownJob) {
		return nil, ErrJobNotFound
	}
	if err != nil {
		return nil, err
	}
	return openapi.RunJob202JSONResponse{JobId: id, Message: "Job " + req.JobName + " enqueued"}, nil
}

func metricsJSON(s MetricsSettings) openapi.MetricsSettings {
	return openapi.MetricsSettings{Enabled: s.Enabled, InstanceId: s.InstanceID, LastSentAt: s.LastSentAt, LastError: s.LastError}
}

func (a *API) metrics() (*MetricsReporter, error) {
	b, err := a.bound()
	if err != nil || b.Metrics == nil {
		return nil, errUnavailable
	}
	return b.Metrics, nil
}

// GetMetricsSettings implements GET /api/v1/settings/metrics.
func (a *API) GetMetricsSettings(ctx context.Context, _ openapi.GetMetricsSettingsRequestObject) (openapi.GetMetricsSettingsResponseObject, error) {
	m, err := a.metrics()
	if err != nil {
		return nil, err
	}
	s, err := m.Settings(ctx)
	if err != nil {
		return nil, err
	}
	return openapi.GetMetricsSettings200JSONResponse(metricsJSON(s)), nil
}

// UpdateMetricsSettings implements PUT /api/v1/settings/metrics.
func (a *API) UpdateMetricsSettings(ctx context.Context, req openapi.UpdateMetricsSettingsRequestObject) (openapi.UpdateMetricsSettingsResponseObject, error) {
	m, err := a.metrics()
	if err != nil {
		return nil, err
	}
	s, err := m.SetEnabled(ctx, req.Body.Enabled)
	if err != nil {
		return nil, err
	}
	return openapi.UpdateMetricsSettings200JSONResponse(metricsJSON(s)), nil
}

// RegenerateInstanceId implements POST /api/v1/settings/metrics/regenerate-id.
func (a *API) RegenerateInstanceId(ctx context.Context, _ openapi.RegenerateInstanceIdRequestObject) (openapi.RegenerateInstanceIdResponseObject, error) {
	m, err := a.metrics()
	if err != nil {
		return nil, err
	}
	s, err := m.RegenerateID(ctx)
	if err != nil {
		return nil, err
	}
	return openapi.RegenerateInstanceId200JSONResponse(metricsJSON(s)), nil
}

// GetVersionCheck implements GET /api/v1/settings/version-check.
func (a *API) GetVersionCheck(ctx context.Context, _ openapi.GetVersionCheckRequestObject) (openapi.GetVersionCheckResponseObject, error) {
	b, err := a.bound()
	if err != nil || b.Versions == nil {
		return nil, errUnavailable
	}
	st, err := b.Versions.Status(ctx)
	if err != nil {
		return nil, err
	}
	return openapi.GetVersionCheck200JSONResponse{CurrentVersion: st.CurrentVersion, LatestServerVersion: st.LatestServerVersion,
		LatestAgentVersion: st.LatestAgentVersion, ServerUpdateAvailable: st.ServerUpdateAvailable(), CheckedAt: st.CheckedAt,
		Error: st.Error}, nil
}
