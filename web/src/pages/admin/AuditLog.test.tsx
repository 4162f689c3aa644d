import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../api/client';
import { mockApi } from '../../test/api';
import { renderApp } from '../../test/render';
import { auditQuery, localToIso, PAGE_SIZE, readFilters } from './AuditLog';

function event(id: number, overrides: Partial<Schemas['AuthAuditEvent']> = {}): Schemas['AuthAuditEvent'] {
  return {
    id,
    createdAt: '2025-01-02T03:04:05Z',
    event: 'auth.login.success',
    success: true,
    actorId: null,
    actorUsername: 'admin',
    targetType: 'user',
    targetId: 'u1',
    targetName: 'admin',
    ipAddress: '192.0.2.7',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36',
    details: { method: 'password' },
    ...overrides,
  };
}

describe('audit log filters', () => {
  it('reads filters from the URL and ignores nonsense', () => {
    expect(readFilters(new URLSearchParams('event=auth.&success=false&page=3'))).toEqual({
      event: 'auth.',
      userId: '',
      success: 'false',
      from: '',
      to: '',
      page: 3,
    });
    expect(readFilters(new URLSearchParams('success=maybe&page=-2')).success).toBe('');
    expect(readFilters(new URLSearchParams('page=abc')).page).toBe(1);
  });

  it('turns them into the API query, paging by offset', () => {
    const query = auditQuery({ event: '', userId: 'u1', success: 'true', from: '', to: '', page: 2 });
    expect(query).toEqual({
      event: undefined,
      userId: 'u1',
      success: true,
      from: undefined,
      to: undefined,
      limit: PAGE_SIZE,
      offset: PAGE_SIZE,
    });
  });

  it('reads datetime-local values in the browser’s time zone', () => {
    expect(localToIso('')).toBeUndefined();
    expect(localToIso('not a date')).toBeUndefined();
    expect(localToIso('2025-01-02T03:04')).toBe(new Date(2025, 0, 2, 3, 4).toISOString());
  });
});

describe('audit log page', () => {
  it('shows entries and filters them through the API', async () => {
    const api = mockApi({
      'GET /audit-log': ({ query }) =>
        query.get('success') === 'false'
          ? { body: { events: [event(2, { event: 'auth.login.failure', success: false, details: {} })], total: 1 } }
          : { body: { events: [event(1)], total: 1 } },
      'GET /auth/admin/users': { body: { users: [], total: 0 } },
    });
    const user = userEvent.setup();
    renderApp('/audit-log');

    await screen.findByText('auth.login.success');
    expect(screen.getByText('Chrome on Linux')).toBeTruthy();
    expect(screen.getByText('password')).toBeTruthy();

    await user.selectOptions(screen.getByLabelText('Result'), 'false');
    await screen.findByText('auth.login.failure');
    expect(screen.queryByText('auth.login.success')).toBeNull();
    expect(api.calls('GET /audit-log').at(-1)?.query.get('success')).toBe('false');
  });

  it('pages through long logs', async () => {
    const api = mockApi({
      'GET /audit-log': ({ query }) => ({
        body: { events: [event(Number(query.get('offset')) + 1)], total: PAGE_SIZE + 5 },
      }),
      'GET /auth/admin/users': { body: { users: [], total: 0 } },
    });
    const user = userEvent.setup();
    renderApp('/audit-log');
    await screen.findByText(`1–${PAGE_SIZE} of ${PAGE_SIZE + 5}`);
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Newer' }).disabled).toBe(true);
    await user.click(screen.getByRole('button', { name: 'Older' }));
    await screen.findByText(`${PAGE_SIZE + 1}–${PAGE_SIZE + 5} of ${PAGE_SIZE + 5}`);
    await waitFor(() => expect(api.calls('GET /audit-log').at(-1)?.query.get('offset')).toBe(String(PAGE_SIZE)));
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Older' }).disabled).toBe(true);
  });

  it('says what to do when nothing matches', async () => {
    mockApi({
      'GET /audit-log': { body: { events: [], total: 0 } },
      'GET /auth/admin/users': { body: { users: [], total: 0 } },
    });
    renderApp('/audit-log?event=nothing.');
    await screen.findByText('No entry matches these filters.');
    expect(screen.getByRole('button', { name: 'Clear filters' })).toBeTruthy();
  });
});
