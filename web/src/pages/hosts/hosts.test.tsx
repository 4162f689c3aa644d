import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppProviders } from '../../App';
import { mockApi } from '../../test/api';
import { renderApp } from '../../test/render';
import { nextArrival, type Arrival } from './AddHost';
import { InstallCommand, pickCommand } from './InstallCommand';
import { parseLiveEvent, reconnectDelay, throttle, type LiveEvent } from './live';
import { DEFAULT_STATE, groupHosts, nextSort, stateFromParams, stateFromView, stateToParams, viewState } from './listState';
import type { HostSummary, InstallCommands } from './queries';

/** A WebSocket the test drives: every instance is recorded and can be sent messages. */
class FakeSocket {
  static all: FakeSocket[] = [];
  url: string;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  closed = false;
  constructor(url: string) {
    this.url = url;
    FakeSocket.all.push(this);
  }
  close() {
    this.closed = true;
  }
  emit(ev: unknown) {
    this.onmessage?.({ data: JSON.stringify(ev) });
  }
}

beforeEach(() => {
  FakeSocket.all = [];
  vi.stubGlobal('WebSocket', FakeSocket);
});
afterEach(() => vi.unstubAllGlobals());

function host(overrides: Partial<HostSummary> = {}): HostSummary {
  return {
    id: '00000000-0000-4000-8000-00000000000a',
    friendlyName: 'web-01',
    hostname: 'web-01.example.com',
    ip: '192.0.2.10',
    osType: 'Debian',
    osVersion: '12',
    status: 'active',
    connected: true,
    totalPackages: 300,
    outdatedPackages: 4,
    securityUpdates: 1,
    needsReboot: false,
    groups: [],
    autoUpdate: true,
    createdAt: '2026-01-01T00:00:00Z',
    lastCheckinAt: '2026-01-02T00:00:00Z',
    ...overrides,
  };
}

const commands: InstallCommands = {
  standard: 'curl -s URL | sudo sh',
  force: 'curl -s URL?force=true | sudo sh',
  selfSigned: 'curl -sk URL?insecure=true | sudo sh',
  forceSelfSigned: 'curl -sk URL?force=true&insecure=true | sudo sh',
  selfSignedDefault: false,
};

describe('host list state', () => {
  it('round-trips through the URL and leaves defaults out', () => {
    expect(stateToParams(DEFAULT_STATE).toString()).toBe('');
    const s = { ...DEFAULT_STATE, search: 'web', group: 'none', status: 'active' as const, security: true, sort: 'updates' as const, order: 'desc' as const, page: 3, columns: ['os' as const, 'ip' as const], groupBy: true };
    const p = stateToParams(s);
    expect(stateFromParams(p)).toEqual(s);
    // Views drop the page; nonsense in the URL is ignored.
    expect(stateFromView(viewState(s))).toEqual({ ...s, page: 1 });
    expect(stateFromParams(new URLSearchParams('sort=ram&status=gone&page=-2&size=7&cols=bogus'))).toEqual({ ...DEFAULT_STATE, columns: [] });
  });

  it('flips the order of the sorted column and sorts counts busiest first', () => {
    expect(nextSort(DEFAULT_STATE, 'name')).toEqual({ sort: 'name', order: 'desc' });
    expect(nextSort(DEFAULT_STATE, 'security')).toEqual({ sort: 'security', order: 'desc' });
    expect(nextSort(DEFAULT_STATE, 'os')).toEqual({ sort: 'os', order: 'asc' });
  });

  it('groups hosts by group name with ungrouped hosts last', () => {
    const prod = { id: 'p', name: 'Production', color: '#f00' };
    const db = { id: 'd', name: 'Databases', color: '#0f0' };
    const sections = groupHosts([
      host({ id: '1', friendlyName: 'a', groups: [prod] }),
      host({ id: '2', friendlyName: 'b', groups: [prod, db] }),
      host({ id: '3', friendlyName: 'c' }),
    ]);
    expect(sections.map((s) => [s.name, s.hosts.map((h) => h.friendlyName)])).toEqual([
      ['Databases', ['b']],
      ['Production', ['a', 'b']],
      ['No group', ['c']],
    ]);
  });
});

describe('live events', () => {
  it('parses stream messages and backs off when reconnecting', () => {
    expect(parseLiveEvent('{"type":"report","data":{"hostId":"h"}}')?.type).toBe('report');
    expect(parseLiveEvent('{"type":"nope","data":{}}')).toBeNull();
    expect(parseLiveEvent('not json')).toBeNull();
    expect(parseLiveEvent(42)).toBeNull();
    expect([1, 2, 3, 10].map(reconnectDelay)).toEqual([1000, 2000, 4000, 30_000]);
  });

  it('moves a new host from waiting to connected to reported, ignoring other hosts', () => {
    const online: LiveEvent = { type: 'host_status', data: { hostId: 'h', apiId: 'x', status: 'online', previous: 'offline', reason: 'connected', at: '' } };
    const report: LiveEvent = {
      type: 'report',
      data: { hostId: 'h', apiId: 'x', kind: 'full', packagesProcessed: 12, updatesAvailable: 0, securityUpdates: 0, needsReboot: false, at: '' },
    };
    let a: Arrival = { state: 'waiting' };
    a = nextArrival(a, 'other', online);
    expect(a.state).toBe('waiting');
    a = nextArrival(a, 'h', online);
    expect(a.state).toBe('connected');
    a = nextArrival(a, 'h', report);
    expect(a).toEqual({ state: 'reported', packages: 12 });
    expect(nextArrival(a, 'h', online)).toEqual(a);
  });
});

describe('install command', () => {
  it('shows the form the toggles ask for', async () => {
    expect(pickCommand(commands, true, true)).toBe(commands.forceSelfSigned);
    mockApi();
    render(
      <AppProviders>
        <InstallCommand commands={{ ...commands, selfSignedDefault: true }} apiId="patchmon_1" apiKey="k" />
      </AppProviders>,
    );
    const shown = () => screen.getByTestId('install-command').textContent;
    // The self-signed switch starts as the server setting says.
    expect(shown()).toBe(commands.selfSigned);
    await userEvent.click(screen.getByLabelText('Force install (bypass broken packages)'));
    expect(shown()).toBe(commands.forceSelfSigned);
    await userEvent.click(screen.getByLabelText('Ignore self-signed certificate'));
    expect(shown()).toBe(commands.force);
  });
});

// Whole pages render lazily in jsdom: slow on a busy machine, hence the longer timeouts.
describe('hosts pages', () => {
  const list = (hosts: HostSummary[]) => ({
    body: {
      hosts,
      total: hosts.length,
      page: 1,
      pageSize: 50,
      facets: { groups: [{ id: 'g1', name: 'Production', color: '#f00', hosts: 1 }], osTypes: [{ osType: 'Debian', hosts: 1 }], ungrouped: 0 },
    },
  });

  it('lists hosts, filters on the server and refreshes when a report arrives', async () => {
    let served = 0;
    const api = mockApi({
      'GET /hosts': () => {
        served++;
        return list([host()]);
      },
      'GET /hosts/views': { body: { views: [] } },
    });
    renderApp('/hosts');
    expect(await screen.findByRole('link', { name: 'web-01' })).toBeTruthy();
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Status' }), 'offline');
    await waitFor(() => expect(api.calls('GET /hosts').some((r) => r.query.get('status') === 'offline')).toBe(true));
    await userEvent.click(screen.getByRole('button', { name: /^Security/ }));
    await waitFor(() => expect(api.calls('GET /hosts').some((r) => r.query.get('sort') === 'security' && r.query.get('order') === 'desc')).toBe(true));

    const before = served;
    const socket = FakeSocket.all.find((s) => !s.closed);
    expect(socket?.url).toMatch(/\/api\/v1\/ws\/events$/);
    socket?.emit({ type: 'report', data: { hostId: host().id, apiId: 'x', kind: 'full', packagesProcessed: 1, updatesAvailable: 0, securityUpdates: 0, needsReboot: false, at: '' } });
    await waitFor(() => expect(served).toBeGreaterThan(before));
  }, 30_000);

  it('deletes selected hosts after confirmation', async () => {
    const api = mockApi({
      'GET /hosts': list([host(), host({ id: '00000000-0000-4000-8000-00000000000b', friendlyName: 'db-01' })]),
      'GET /hosts/views': { body: { views: [] } },
      'POST /hosts/bulk/delete': { body: { message: '1 host deleted', count: 1 } },
    });
    renderApp('/hosts');
    await userEvent.click(await screen.findByLabelText('Select db-01'));
    await userEvent.click(within(screen.getByRole('region', { name: 'Bulk actions' })).getByRole('button', { name: 'Delete' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete 1 host?' });
    expect(api.calls('POST /hosts/bulk/delete')).toHaveLength(0);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(api.calls('POST /hosts/bulk/delete')[0]?.body).toEqual({ hostIds: ['00000000-0000-4000-8000-00000000000b'] }));
    expect(await screen.findByText('1 host deleted')).toBeTruthy();
  }, 30_000);

  it('adds a host and turns green when its agent reports', async () => {
    const id = '00000000-0000-4000-8000-0000000000cc';
    mockApi({
      'GET /hosts': list([]),
      'POST /hosts': {
        status: 201,
        body: { message: 'Host created successfully', hostId: id, friendlyName: 'new-host', apiId: 'patchmon_1', apiKey: 'secret', hostGroups: [], installCommand: commands.standard, installCommands: commands },
      },
      [`GET /hosts/${id}`]: { body: { ...host({ id, friendlyName: 'new-host', status: 'pending', connected: false }) } },
    });
    renderApp('/hosts/new');
    await userEvent.type(await screen.findByLabelText('Friendly name'), 'new-host');
    await userEvent.click(screen.getByRole('button', { name: 'Create host' }));
    expect((await screen.findByTestId('install-command')).textContent).toBe(commands.standard);
    const arrival = screen.getByTestId('arrival');
    expect(arrival.dataset.state).toBe('waiting');
    for (const s of FakeSocket.all.filter((s) => !s.closed)) {
      s.emit({ type: 'report', data: { hostId: id, apiId: 'patchmon_1', kind: 'full', packagesProcessed: 7, updatesAvailable: 0, securityUpdates: 0, needsReboot: false, at: '' } });
    }
    await waitFor(() => expect(screen.getByTestId('arrival').dataset.state).toBe('reported'));
    expect(screen.getByText(/first report arrived with 7 packages/)).toBeTruthy();
  }, 30_000);
});

describe('throttle', () => {
  it('runs at once, then at most once per window', () => {
    vi.useFakeTimers();
    try {
      const fn = vi.fn();
      const t = throttle(fn, 1000);
      t.call();
      expect(fn).toHaveBeenCalledTimes(1);
      t.call();
      t.call();
      t.call();
      expect(fn).toHaveBeenCalledTimes(1);
      vi.advanceTimersByTime(1000);
      expect(fn).toHaveBeenCalledTimes(2);
      vi.advanceTimersByTime(5000);
      expect(fn).toHaveBeenCalledTimes(2);
      t.call();
      expect(fn).toHaveBeenCalledTimes(3);
      t.call();
      t.cancel();
      vi.advanceTimersByTime(5000);
      expect(fn).toHaveBeenCalledTimes(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
