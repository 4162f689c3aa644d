import { screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Health } from '../api/health';
import { mockApi } from '../test/api';
import { jsonResponse, renderApp } from '../test/render';

const healthy: Health = {
  status: 'healthy',
  version: '2.0.0-test',
  uptimeSeconds: 3 * 3600 + 25 * 60,
  timestamp: '2025-01-02T03:04:05Z',
  database: { status: 'up', mode: 'embedded', latencyMs: 1.25 },
  redis: { status: 'disabled', mode: 'in-process' },
};

// The dashboard opens the live event stream; these tests need a socket that goes nowhere.
class InertSocket {
  onmessage = null;
  onclose = null;
  close() {}
}
beforeEach(() => vi.stubGlobal('WebSocket', InertSocket));
afterEach(() => vi.unstubAllGlobals());

// The signed-in user's profile comes from the fake API; only /health varies here.
function stubFetch(respond: () => Response | Promise<Response>) {
  return mockApi({ 'GET /health': () => respond() });
}

// The toaster's live regions also carry role="alert", so find the health alert by its text.
async function healthAlert(): Promise<HTMLElement> {
  const heading = await screen.findByText("Cannot read the server's health.");
  const alert = heading.closest<HTMLElement>('[role="alert"]');
  if (!alert) throw new Error('health error is not in an alert');
  return alert;
}

async function card(name: string) {
  return within(await screen.findByRole('region', { name }));
}

describe('dashboard health cards', () => {
  it('fetches /health?format=json at the root, not under /api/v1', async () => {
    const api = stubFetch(() => jsonResponse(healthy));
    renderApp('/');
    await card('Server');

    const calls = api.calls('GET /health');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.query.get('format')).toBe('json');
    expect(api.unhandled).toEqual([]);
  });

  it('renders server, database and redis status from the health document', async () => {
    stubFetch(() => jsonResponse(healthy));
    renderApp('/');

    const server = await card('Server');
    expect(server.getByText('Healthy')).toBeTruthy();
    expect(server.getByText('2.0.0-test')).toBeTruthy();
    expect(server.getByText('3h 25m')).toBeTruthy();

    const database = await card('Database');
    expect(database.getByText('Up')).toBeTruthy();
    expect(database.getByText('embedded')).toBeTruthy();
    expect(database.getByText('1.3 ms')).toBeTruthy();

    const redis = await card('Redis');
    expect(redis.getByText('Disabled')).toBeTruthy();
    expect(redis.getByText('in-process')).toBeTruthy();
  });

  it('shows what is down when the server answers 503', async () => {
    stubFetch(() =>
      jsonResponse(
        {
          ...healthy,
          status: 'unhealthy',
          database: { status: 'down', mode: 'external', error: 'connection refused' },
          redis: { status: 'up', mode: 'external', latencyMs: 12.4 },
        },
        503,
      ),
    );
    renderApp('/');

    expect((await card('Server')).getByText('Unhealthy')).toBeTruthy();
    const database = await card('Database');
    expect(database.getByText('Down')).toBeTruthy();
    expect(database.getByText('connection refused')).toBeTruthy();
    expect((await card('Redis')).getByText('12 ms')).toBeTruthy();
    expect(screen.queryByText("Cannot read the server's health.")).toBeNull();
  });

  it('reports a server it cannot reach', async () => {
    stubFetch(() => Promise.reject(new TypeError('Failed to fetch')));
    renderApp('/');

    const alert = await healthAlert();
    expect(alert.textContent).toContain('Failed to fetch');
    expect(screen.queryByRole('region', { name: 'Server' })).toBeNull();
  });

  it('reports an error body from an unexpected status', async () => {
    stubFetch(() => jsonResponse({ error: 'Invalid value for format' }, 400));
    renderApp('/');

    expect((await healthAlert()).textContent).toContain('Invalid value for format');
  });
});
