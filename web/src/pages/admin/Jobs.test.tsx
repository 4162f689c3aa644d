import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../api/client';
import { mockApi } from '../../test/api';
import { renderApp } from '../../test/render';
import { describeInterval } from './Jobs';

function run(overrides: Partial<Schemas['JobRun']> = {}): Schemas['JobRun'] {
  return {
    id: 7,
    job_name: 'session-cleanup',
    river_job_id: 70,
    attempt: 1,
    status: 'completed',
    host_id: null,
    host_name: '',
    trigger: 'schedule',
    replica: 'server-a',
    started_at: '2025-01-02T03:00:00Z',
    finished_at: '2025-01-02T03:00:01Z',
    duration_ms: 12,
    error: '',
    output: 'deleted 3 sessions',
    ...overrides,
  };
}

describe('jobs page', () => {
  it('describes schedules', () => {
    expect(describeInterval(0)).toBe('On demand');
    expect(describeInterval(3600)).toBe('Every 1h');
    expect(describeInterval(1800)).toBe('Every 30m');
    expect(describeInterval(86400)).toBe('Every 1d');
  });

  it('lists jobs and runs, and runs a job now', async () => {
    const user = userEvent.setup();
    const api = mockApi({
      'GET /jobs': {
        body: {
          jobs: [
            { name: 'session-cleanup', description: 'Delete expired sessions', interval_seconds: 3600, host_job: false, runs: 1, failures: 0, last_run: run() },
            { name: 'metrics-reporting', description: 'Send metrics', interval_seconds: 86400, host_job: false, runs: 1, failures: 1, last_run: run({ id: 8, job_name: 'metrics-reporting', status: 'failed', error: 'send metrics: refused' }) },
          ],
        },
      },
      'GET /jobs/history': { body: { runs: [run(), run({ id: 8, job_name: 'metrics-reporting', status: 'failed', error: 'send metrics: refused' })], total: 2 } },
      'POST /jobs/session-cleanup/run': { status: 202, body: { job_id: 71, message: 'Job session-cleanup enqueued' } },
    });
    renderApp('/jobs');
    await screen.findByText('deleted 3 sessions');
    expect(screen.getByText('send metrics: refused')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'River queue dashboard' }).getAttribute('href')).toBe('/admin/queues/');
    await user.click(screen.getByRole('button', { name: 'Run session-cleanup now' }));
    await screen.findByText('session-cleanup is queued; its run appears in the history below.');
    await user.click(screen.getByRole('button', { name: 'History of metrics-reporting' }));
    await waitFor(() => expect(api.requests.some((r) => r.path === '/jobs/history' && r.query.get('job') === 'metrics-reporting')).toBe(true));
  }, 30_000);
});
