import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS, makeUser, mockApi } from '../../test/api';
import { renderApp } from '../../test/render';
import { buildBody, parseHeaders, routeSummary, validate, type Destination, type Route } from './notifications/model';

const profile = { body: { user: makeUser(), permissions: [...ALL_PERMISSIONS, 'can_manage_alerts'] } };

function destination(overrides: Partial<Destination> = {}): Destination {
  return {
    id: '00000000-0000-4000-8000-0000000000a1',
    name: 'Ops webhook',
    type: 'webhook',
    enabled: true,
    config: { url: 'https://hooks.example.com/pm' },
    secrets: { signing_secret: '••••••••' },
    last_status: null,
    last_delivery_at: null,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

describe('notification form model', () => {
  it('sends only the fields of the type, and secrets only when typed', () => {
    expect(
      buildBody('email', ' Mail ', true, {
        host: 'smtp.example.com',
        security: 'tls',
        port: '',
        username: 'pm',
        password: '',
        from: 'pm@example.com',
        to: 'a@example.com, b@example.com\nc@example.com',
        tls_skip_verify: 'true',
        url: 'https://ignored.example.com',
      }),
    ).toEqual({
      name: 'Mail',
      type: 'email',
      enabled: true,
      config: { host: 'smtp.example.com', security: 'tls', username: 'pm', from: 'pm@example.com', to: ['a@example.com', 'b@example.com', 'c@example.com'], tls_skip_verify: true },
    });
    expect(buildBody('webhook', 'Hook', false, { url: 'https://x.example', signing_secret: 's3', headers: 'Authorization: Bearer t\nbad line\nX-A: 1' })).toEqual({
      name: 'Hook',
      type: 'webhook',
      enabled: false,
      config: { url: 'https://x.example' },
      secrets: { signing_secret: 's3', headers: { Authorization: 'Bearer t', 'X-A': '1' } },
    });
    expect(buildBody('slack', 'S', true, { webhook_url: 'https://hooks.slack.com/services/T/B/X' }).secrets).toEqual({ webhook_url: 'https://hooks.slack.com/services/T/B/X' });
    expect(parseHeaders('A:b:c')).toEqual({ A: 'b:c' });
  });

  it('checks required fields, keeping secrets the server already stores', () => {
    expect(validate('slack', '', {})).toEqual({ name: 'Give the destination a name.', webhook_url: 'Incoming webhook URL is required.' });
    const stored = destination({ type: 'slack', secrets: { webhook_url: 'https://hooks.slack.com/••••••••' } });
    expect(validate('slack', 'S', {}, stored)).toEqual({});
    expect(validate('webhook', 'W', { url: 'ftp://x' })).toEqual({ url: 'URL must start with http:// or https://.' });
    expect(validate('email', 'E', { host: 'h', from: 'a@b.c', to: 'x@y.z', port: '70000', password: 'p' })).toEqual({
      port: 'Port must be between 1 and 65535.',
      username: 'A username is required with a password.',
    });
  });

  it('summarises a route', () => {
    const route: Route = {
      id: 'r',
      name: 'Prod',
      enabled: true,
      event_types: ['host_down', 'security_updates'],
      min_severity: 'warning',
      host_group_ids: ['g1'],
      host_ids: ['h1'],
      destination_ids: [],
      created_at: '',
      updated_at: '',
    };
    const names = { groups: new Map([['g1', 'Production']]), hosts: new Map([['h1', 'web-01']]) };
    expect(routeSummary(route, names)).toBe('Host down, Security updates available · Warning and above · only group Production, web-01');
    expect(routeSummary({ ...route, event_types: [], host_group_ids: [], host_ids: [], min_severity: 'informational' }, names)).toBe(
      'All events · Informational and above · every host',
    );
  });
});

describe('Settings → Notifications', () => {
  it('creates a webhook destination and reports the test result in a toast', async () => {
    let list: Destination[] = [];
    const api = mockApi({
      'GET /auth/profile': profile,
      'GET /notifications/destinations': () => ({ body: list }),
      'POST /notifications/destinations': (req) => {
        const b = req.body as { name: string; config: { url: string } };
        list = [destination({ name: b.name, config: b.config })];
        return { status: 201, body: list[0] };
      },
      'POST /notifications/destinations/00000000-0000-4000-8000-0000000000a1/test': {
        body: { delivery_id: '00000000-0000-4000-8000-0000000000f1', success: false, response_code: 401, error: 'HTTP 401: bad token', duration_ms: 12 },
      },
    });
    const user = userEvent.setup();
    renderApp('/settings/notifications');
    expect(await screen.findByText('No destinations yet.')).toBeTruthy();

    await user.click(screen.getByRole('button', { name: /New destination/ }));
    const dialog = await screen.findByRole('dialog', { name: 'New destination' });
    await user.type(within(dialog).getByLabelText('Name'), 'Ops webhook');
    await user.type(within(dialog).getByLabelText('URL'), 'ftp://hooks.example.com/pm');
    await user.click(within(dialog).getByRole('button', { name: 'Create destination' }));
    expect(await within(dialog).findByText('URL must start with http:// or https://.')).toBeTruthy();
    expect(api.calls('POST /notifications/destinations')).toHaveLength(0);

    await user.clear(within(dialog).getByLabelText('URL'));
    await user.type(within(dialog).getByLabelText('URL'), 'https://hooks.example.com/pm');
    await user.click(within(dialog).getByRole('button', { name: 'Generate' }));
    expect((within(dialog).getByLabelText('Signing secret') as HTMLInputElement).value).toMatch(/^[0-9a-f]{64}$/);
    await user.click(within(dialog).getByRole('button', { name: 'Create destination' }));
    expect(await screen.findByText('“Ops webhook” is created. Send a test to check it.')).toBeTruthy();
    const sent = api.calls('POST /notifications/destinations')[0]?.body as { type: string; secrets: { signing_secret: string } };
    expect(sent.type).toBe('webhook');
    expect(sent.secrets.signing_secret).toHaveLength(64);

    const row = (await screen.findByText('https://hooks.example.com/pm')).closest('tr')!;
    await user.click(within(row).getByRole('button', { name: 'Send test' }));
    expect(await screen.findByText('Test to “Ops webhook” failed: HTTP 401: bad token')).toBeTruthy();
  }, 20_000);

  it('puts a server validation error on its field', async () => {
    mockApi({
      'GET /auth/profile': profile,
      'GET /notifications/destinations': { body: [] },
      'POST /notifications/destinations': {
        status: 400,
        body: { error: 'Topic is required and may not contain /, ?, # or spaces', code: 'notify_validation', field: 'config.topic' },
      },
    });
    const user = userEvent.setup();
    renderApp('/settings/notifications');
    await user.click(await screen.findByRole('button', { name: /New destination/ }));
    const dialog = await screen.findByRole('dialog', { name: 'New destination' });
    await user.selectOptions(within(dialog).getByLabelText('Type'), 'ntfy');
    await user.type(within(dialog).getByLabelText('Name'), 'Phone');
    await user.type(within(dialog).getByLabelText('Topic'), 'a b');
    await user.click(within(dialog).getByRole('button', { name: 'Create destination' }));
    expect(await within(dialog).findByText('Topic is required and may not contain /, ?, # or spaces')).toBeTruthy();
    await waitFor(() => expect(within(dialog).getByLabelText('Topic').getAttribute('aria-invalid')).toBe('true'));
  });

  it('edits a destination without sending the secrets it keeps, and shows per-type fields', async () => {
    const slack = destination({ id: '00000000-0000-4000-8000-0000000000b2', name: 'Team chat', type: 'slack', config: {},
      secrets: { webhook_url: 'https://hooks.slack.com/••••••••' } });
    const api = mockApi({
      'GET /auth/profile': profile,
      'GET /notifications/destinations': { body: [slack] },
      'PUT /notifications/destinations/00000000-0000-4000-8000-0000000000b2': (req) => ({ body: { ...slack, ...(req.body as object) } }),
    });
    const user = userEvent.setup();
    renderApp('/settings/notifications');
    const row = (await screen.findByText('Team chat')).closest('tr')!;
    await user.click(within(row).getByRole('button', { name: 'Actions for Team chat' }));
    await user.click(await screen.findByRole('button', { name: 'Edit' }));
    const dialog = await screen.findByRole('dialog', { name: 'Edit “Team chat”' });
    expect(within(dialog).getByText(/Stored: https:\/\/hooks.slack.com\/••••••••. Leave empty to keep it./)).toBeTruthy();
    expect((within(dialog).getByLabelText('Type') as HTMLSelectElement).disabled).toBe(true);
    const name = within(dialog).getByLabelText('Name');
    await user.clear(name);
    await user.type(name, 'Team chat 2');
    await user.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('“Team chat 2” is saved.')).toBeTruthy();
    expect(api.calls('PUT /notifications/destinations/00000000-0000-4000-8000-0000000000b2')[0]?.body).toEqual({
      name: 'Team chat 2',
      enabled: true,
      config: {},
    });

    await user.click(screen.getByRole('button', { name: /New destination/ }));
    const create = await screen.findByRole('dialog', { name: 'New destination' });
    await user.selectOptions(within(create).getByLabelText('Type'), 'email');
    for (const label of ['SMTP host', 'Security', 'Port', 'Username', 'Password', 'From', 'To']) {
      expect(within(create).getByLabelText(label)).toBeTruthy();
    }
    expect(within(create).queryByLabelText('URL')).toBeNull();
    await user.selectOptions(within(create).getByLabelText('Type'), 'gotify');
    expect(within(create).getByLabelText('Application token')).toBeTruthy();
    expect(within(create).queryByLabelText('SMTP host')).toBeNull();
  }, 20_000);
});
