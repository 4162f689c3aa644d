import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS, makeUser, mockApi } from '../../test/api';
import { renderApp } from '../../test/render';
import { describeCron, formatBytes, initialForm, toInput, validateForm, type Schedule } from './model';

const options = {
  destinations: [{ id: '00000000-0000-4000-8000-0000000000d1', name: 'Ops mail', type: 'email', enabled: true }],
  host_groups: [{ id: '00000000-0000-4000-8000-0000000000b1', name: 'Production' }],
  formats: ['html', 'csv', 'json'],
  default_timezone: 'UTC',
};

function schedule(overrides: Partial<Schedule> = {}): Schedule {
  return {
    id: '00000000-0000-4000-8000-0000000000c1',
    name: 'Weekly fleet',
    enabled: true,
    cron: '0 8 * * 1',
    timezone: 'UTC',
    format: 'csv',
    top_packages: 10,
    host_group_ids: [],
    destination_ids: ['00000000-0000-4000-8000-0000000000d1'],
    next_run_at: '2026-06-08T08:00:00Z',
    last_run_at: null,
    last_run: null,
    created_at: '2026-06-01T00:00:00Z',
    updated_at: '2026-06-01T00:00:00Z',
    ...overrides,
  };
}

describe('report schedule model', () => {
  it('validates and converts the form', () => {
    const f = initialForm(undefined, 'Europe/Berlin');
    expect(f.timezone).toBe('Europe/Berlin');
    expect(validateForm({ ...f, name: ' ', topPackages: '101' })).toEqual({
      name: 'Give the report a name.',
      top_packages: 'Top packages must be a whole number from 0 to 100.',
      destination_ids: 'Choose at least one destination.',
    });
    expect(toInput({ ...f, name: ' Weekly ', destinationIds: ['d'], topPackages: '5' })).toEqual({
      name: 'Weekly',
      enabled: true,
      cron: '0 8 * * 1',
      timezone: 'Europe/Berlin',
      format: 'html',
      top_packages: 5,
      host_group_ids: [],
      destination_ids: ['d'],
    });
    expect(describeCron(' 0  8 * * 1')).toBe('Every Monday at 08:00');
    expect(describeCron('5 4 * * *')).toBe('5 4 * * *');
    expect(formatBytes(2048)).toBe('2.0 KB');
  });
});

describe('Scheduled Reports page', () => {
  it('creates a schedule with a live preview, runs it and shows the history', async () => {
    let list: Schedule[] = [];
    const run = { id: '00000000-0000-4000-8000-0000000000e1', schedule_id: schedule().id, trigger: 'manual', status: 'succeeded',
      format: 'csv', error: '', size_bytes: 1536, host_count: 3, deliveries: 1, started_at: '2026-06-01T09:00:00Z', finished_at: '2026-06-01T09:00:01Z' };
    const api = mockApi({
      'GET /auth/profile': { body: { user: makeUser(), permissions: [...ALL_PERMISSIONS, 'can_manage_automation'] } },
      'GET /scheduled-reports': () => ({ body: list }),
      'GET /scheduled-reports/options': { body: options },
      'GET /scheduled-reports/next-runs': (req) =>
        req.query.get('cron') === '0 8 * * 1'
          ? { body: { valid: true, timezone: 'UTC', next_runs: ['2026-06-08T08:00:00Z', '2026-06-15T08:00:00Z'] } }
          : { body: { valid: false, error: 'Invalid cron expression: bad', next_runs: [] } },
      'POST /scheduled-reports': (req) => {
        list = [schedule({ name: (req.body as { name: string }).name })];
        return { status: 201, body: list[0] };
      },
      'POST /scheduled-reports/00000000-0000-4000-8000-0000000000c1/run': () => {
        list = [schedule({ last_run: run as Schedule['last_run'] })];
        return { body: run };
      },
      'GET /scheduled-reports/00000000-0000-4000-8000-0000000000c1/runs': () => ({ body: [run] }),
    });
    const user = userEvent.setup();
    renderApp('/scheduled-reports');
    expect(await screen.findByText('No scheduled reports yet.')).toBeTruthy();
    await user.click(await screen.findByRole('button', { name: /New schedule/ }));
    const dialog = await screen.findByRole('dialog', { name: 'New scheduled report' });
    const preview = within(dialog).getByRole('region', { name: 'Next runs' });
    expect(await within(preview).findAllByRole('listitem')).toHaveLength(2);

    const cron = within(dialog).getByLabelText('Cron expression');
    await user.clear(cron);
    await user.type(cron, 'nope');
    expect(await within(preview).findByText('Invalid cron expression: bad')).toBeTruthy();
    await user.selectOptions(within(dialog).getByLabelText('Preset'), '0 8 * * 1');

    await user.type(within(dialog).getByLabelText('Name'), 'Weekly fleet');
    await user.click(within(dialog).getByRole('button', { name: 'Create schedule' }));
    expect(await within(dialog).findByText('Choose at least one destination.')).toBeTruthy();
    await user.click(within(dialog).getByLabelText('Ops mail (email)'));
    await user.click(within(dialog).getByRole('button', { name: 'Create schedule' }));
    expect(await screen.findByText(/“Weekly fleet” is saved\./)).toBeTruthy();
    expect(api.calls('POST /scheduled-reports')[0]?.body).toMatchObject({ cron: '0 8 * * 1', destination_ids: [options.destinations[0]!.id] });

    const row = (await screen.findByText('Every Monday at 08:00')).closest('tr')!;
    await user.click(within(row).getByRole('button', { name: 'Run now' }));
    expect(await screen.findByText('“Weekly fleet” was sent to 1 destination (1.5 KB).')).toBeTruthy();

    await user.click(within(screen.getByText('Every Monday at 08:00').closest('tr')!).getByRole('button', { name: 'Actions for Weekly fleet' }));
    await user.click(await screen.findByRole('button', { name: 'History' }));
    const history = await screen.findByRole('dialog', { name: 'History of “Weekly fleet”' });
    expect(await within(history).findByText('Run now')).toBeTruthy();
    expect(within(history).getByText('1.5 KB')).toBeTruthy();
  }, 30_000);

  it('shows schedules without management actions to read-only users', async () => {
    mockApi({
      'GET /auth/profile': { body: { user: makeUser({ role: 'readonly' }), permissions: ['can_view_dashboard', 'can_view_reports'] } },
      'GET /scheduled-reports': { body: [schedule()] },
      'GET /scheduled-reports/options': { body: options },
    });
    renderApp('/scheduled-reports');
    expect(await screen.findByText('Weekly fleet')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Run now' })).toBeNull();
    expect(screen.queryByRole('button', { name: /New schedule/ })).toBeNull();
  });
});
