import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../api/client';
import { mockApi } from '../../test/api';
import { renderApp } from '../../test/render';
import { readAlertFilters } from './Alerts';

function alert(overrides: Partial<Schemas['Alert']> = {}): Schemas['Alert'] {
  return {
    id: '00000000-0000-4000-8000-00000000a1e7',
    type: 'host_down',
    severity: 'critical',
    status: 'open',
    host_id: '00000000-0000-4000-8000-000000000042',
    host_name: 'web-01',
    title: 'Host web-01 is down',
    message: 'Last heard from at 2025-01-02T03:04:05Z',
    details: {},
    assigned_to: null,
    silenced_until: null,
    escalation_level: 0,
    escalated_at: null,
    acknowledged_at: null,
    resolved_at: null,
    created_at: '2025-01-02T03:09:05Z',
    updated_at: '2025-01-02T03:09:05Z',
    ...overrides,
  };
}

const summary = { open: 1, acknowledged: 0, silenced: 0, resolved_last_24h: 0, by_severity: { informational: 0, warning: 0, error: 0, critical: 1 } };

describe('alerts', () => {
  it('reads filters from the URL, unresolved by default', () => {
    expect(readAlertFilters(new URLSearchParams(''))).toEqual({ status: 'active', severity: '', type: '', assigned: '', page: 1 });
    expect(readAlertFilters(new URLSearchParams('status=&severity=critical&assigned_to=me&page=2'))).toEqual({
      status: '',
      severity: 'critical',
      type: '',
      assigned: 'me',
      page: 2,
    });
  });

  it('lists alerts, filters them and acknowledges one', async () => {
    const user = userEvent.setup();
    let current = alert();
    const api = mockApi({
      'GET /alerts': { body: { alerts: [current], total: 1 } },
      'GET /alerts/summary': { body: summary },
      'GET /alerts/assignees': { body: [{ id: '00000000-0000-4000-8000-000000000001', username: 'admin' }] },
      [`GET /alerts/${current.id}`]: () => ({ body: { alert: current, history: [{ id: 1, action: 'created', user_id: null, username: '', note: 'Last heard from', details: {}, created_at: current.created_at }] } }),
      [`POST /alerts/${current.id}/acknowledge`]: () => {
        current = alert({ status: 'acknowledged' });
        return { body: current };
      },
    });
    renderApp('/alerts');
    await screen.findByRole('link', { name: 'Host web-01 is down' });
    expect(api.requests.find((r) => r.path === '/alerts')?.query.get('status')).toBe('active');

    await user.selectOptions(screen.getByLabelText('Severity'), 'critical');
    await waitFor(() => expect(api.requests.some((r) => r.path === '/alerts' && r.query.get('severity') === 'critical')).toBe(true));

    await user.click(screen.getByRole('link', { name: 'Host web-01 is down' }));
    await screen.findByRole('heading', { name: 'Host web-01 is down', level: 1 });
    expect(screen.getByRole('list', { name: 'Alert history' }).textContent).toContain('Created');
    await user.click(screen.getByRole('button', { name: 'Acknowledge' }));
    await screen.findByText('Alert acknowledged.');
    expect(api.requests.some((r) => r.method === 'POST' && r.path.endsWith('/acknowledge'))).toBe(true);
  }, 30_000);

  it('says what to do when nothing is open', async () => {
    mockApi({ 'GET /alerts': { body: { alerts: [], total: 0 } }, 'GET /alerts/summary': { body: summary } });
    renderApp('/alerts');
    await screen.findByText('No unresolved alerts.');
  });
});
