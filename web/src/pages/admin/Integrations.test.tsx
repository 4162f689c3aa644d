import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { AppProviders } from '../../App';
import { mockApi } from '../../test/api';
import { renderApp } from '../../test/render';
import {
  apiCurlExample,
  isoToLocal,
  localToIso,
  parseIpList,
  scopeSummary,
  toggleScope,
  tokenState,
  tokenType,
  type ScopeResource,
  type Token,
} from './integrations/model';
import { SecretDialog } from './integrations/SecretDialog';

const catalogue: ScopeResource[] = [
  {
    name: 'host',
    description: 'Hosts',
    actions: [
      { name: 'get', description: 'Read host data' },
      { name: 'put', description: 'Replace host data' },
      { name: 'patch', description: 'Partially update host data' },
      { name: 'update', description: 'General update operations' },
      { name: 'delete', description: 'Delete hosts' },
    ],
  },
  { name: 'package', description: 'Packages', actions: [{ name: 'get', description: 'List packages' }] },
];

function token(overrides: Partial<Token> = {}): Token {
  return {
    id: '00000000-0000-4000-8000-0000000000a1',
    token_name: 'Proxmox cluster A',
    token_key: 'patchmon_ae_0123456789abcdef',
    is_active: true,
    allowed_ip_ranges: [],
    max_hosts_per_day: 100,
    hosts_created_today: 3,
    last_used_at: null,
    expires_at: null,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    default_host_group_id: null,
    metadata: { integration_type: 'proxmox-lxc' },
    scopes: null,
    host_groups: null,
    users: null,
    ...overrides,
  };
}

describe('integration model', () => {
  it('reads the type and state of a token', () => {
    expect(tokenType({ metadata: {} })).toBe('proxmox-lxc');
    expect(tokenType({ metadata: { integration_type: 'api' } })).toBe('api');
    expect(tokenType({ metadata: { integration_type: 'bogus' } })).toBe('proxmox-lxc');
    const now = new Date('2026-06-01T00:00:00Z');
    expect(tokenState({ is_active: true, expires_at: null }, now)).toBe('active');
    expect(tokenState({ is_active: false, expires_at: null }, now)).toBe('disabled');
    expect(tokenState({ is_active: true, expires_at: '2026-05-31T23:59:59Z' }, now)).toBe('expired');
    expect(tokenState({ is_active: true, expires_at: '2026-06-02T00:00:00Z' }, now)).toBe('active');
  });

  it('parses IP lists and keeps scopes explicit and ordered', () => {
    expect(parseIpList(' 192.168.1.100, 10.0.0.0/24\n2001:db8::/32 ,, ')).toEqual(['192.168.1.100', '10.0.0.0/24', '2001:db8::/32']);
    expect(parseIpList('')).toEqual([]);
    let s = toggleScope({}, 'host', 'delete', true, catalogue);
    s = toggleScope(s, 'host', 'get', true, catalogue);
    expect(s).toEqual({ host: ['get', 'delete'] });
    s = toggleScope(s, 'package', 'get', true, catalogue);
    expect(scopeSummary(s)).toBe('host:get, host:delete, package:get');
    s = toggleScope(s, 'package', 'get', false, catalogue);
    expect(s).toEqual({ host: ['get', 'delete'] });
    expect(scopeSummary(null)).toBe('');
  });

  it('converts datetime-local values and builds the curl example', () => {
    expect(localToIso('')).toBeNull();
    expect(localToIso('nope')).toBeNull();
    const iso = localToIso('2026-12-31T23:59');
    expect(iso).toBe(new Date(2026, 11, 31, 23, 59).toISOString());
    expect(isoToLocal(iso)).toBe('2026-12-31T23:59');
    expect(isoToLocal(null)).toBe('');
    expect(apiCurlExample('https://pm.example.com/', 'k', 's')).toBe('curl -u "k:s" https://pm.example.com/api/v1/api/hosts');
  });
});

describe('integrations page', () => {
  it('shows what to do when there are no credentials', async () => {
    mockApi({ 'GET /auto-enrollment/tokens': { body: [] } });
    renderApp('/settings/integrations');
    expect(await screen.findByText('No tokens yet.')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Integrations' }).getAttribute('aria-current')).toBe('page');
    await userEvent.setup().click(screen.getByRole('tab', { name: 'GetHomepage' }));
    expect(await screen.findByText('No GetHomepage keys yet.')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'New API Key' })).toBeTruthy();
  });

  it('creates an API token with the scope picker and shows the secret once', async () => {
    const created = token({
      id: '00000000-0000-4000-8000-0000000000b2',
      token_name: 'Ansible Inventory',
      metadata: { integration_type: 'api' },
      scopes: { host: ['get', 'delete'] },
    });
    const tokens: Token[] = [];
    const api = mockApi({
      'GET /auto-enrollment/tokens': () => ({ body: tokens }),
      'GET /integrations/scopes': { body: catalogue },
      'GET /integrations/host-groups': {
        body: { host_groups: [{ id: '00000000-0000-4000-8000-0000000000c3', name: 'Production', description: '', color: '#000', hosts_count: 1, created_at: '', updated_at: '' }], total: 1 },
      },
      'POST /auto-enrollment/tokens': () => {
        tokens.push(created);
        return {
          status: 201,
          body: {
            message: 'API credential created successfully',
            warning: '⚠️ Save the token_secret now - it cannot be retrieved later!',
            token: {
              id: created.id,
              token_name: created.token_name,
              token_key: 'patchmon_ae_feedface',
              token_secret: 's3cr3t-value',
              is_active: true,
              max_hosts_per_day: 100,
              allowed_ip_ranges: ['10.0.0.0/24'],
              default_host_group: null,
              created_by: null,
              expires_at: null,
              metadata: { integration_type: 'api' },
              scopes: { host: ['get', 'delete'] },
              created_at: '2026-01-01T00:00:00Z',
            },
            usage: {
              integration_type: 'api',
              server_url: 'https://pm.example.com',
              basic_auth: 'cGF0Y2htb25fYWVfZmVlZGZhY2U6czNjcjN0LXZhbHVl',
              examples: [{ title: 'List hosts', command: 'curl -u patchmon_ae_feedface:s3cr3t-value https://pm.example.com/api/v1/api/hosts' }],
            },
          },
        };
      },
    });
    const user = userEvent.setup();
    renderApp('/settings/integrations');
    await screen.findByText('No tokens yet.');
    await user.click(screen.getByRole('button', { name: 'New Token' }));
    const dialog = await screen.findByRole('dialog', { name: 'New Token' });
    await user.click(within(dialog).getByRole('radio', { name: 'API' }));
    await user.type(within(dialog).getByLabelText('Token name'), 'Ansible Inventory');

    // Without a scope the form says so and sends nothing.
    await user.click(within(dialog).getByRole('button', { name: 'Create Token' }));
    expect(await within(dialog).findByText('Grant at least one scope.')).toBeTruthy();
    expect(api.calls('POST /auto-enrollment/tokens')).toHaveLength(0);

    await user.click(await within(dialog).findByLabelText('host:delete'));
    await user.click(within(dialog).getByLabelText('host:get'));
    await user.type(within(dialog).getByLabelText('Allowed IP addresses'), '10.0.0.0/24');
    await user.selectOptions(within(dialog).getByLabelText('Default host group'), 'Production');
    await user.click(within(dialog).getByRole('button', { name: 'Create Token' }));

    const secret = await screen.findByRole('dialog', { name: 'API credential created' });
    expect(api.calls('POST /auto-enrollment/tokens')[0]?.body).toEqual({
      token_name: 'Ansible Inventory',
      allowed_ip_ranges: ['10.0.0.0/24'],
      scopes: { host: ['get', 'delete'] },
      expires_at: null,
      default_host_group_id: '00000000-0000-4000-8000-0000000000c3',
      metadata: { integration_type: 'api' },
    });
    expect(within(secret).getByLabelText('Token secret').textContent).toContain('s3cr3t-value');
    expect(within(secret).getByLabelText('Token key').textContent).toContain('patchmon_ae_feedface');
    expect(within(secret).getByText('host:get, host:delete')).toBeTruthy();
    expect(within(secret).getByLabelText('Try it with curl').textContent).toContain(
      'curl -u "patchmon_ae_feedface:s3cr3t-value" https://pm.example.com/api/v1/api/hosts',
    );
    expect(within(secret).getByText(/Save the token_secret now/)).toBeTruthy();
    await user.click(within(secret).getByRole('button', { name: 'I have saved the secret' }));

    // The list shows the new credential; the secret is gone for good.
    const row = (await screen.findByText('Ansible Inventory')).closest('tr')!;
    expect(within(row).getByText('host:get, host:delete')).toBeTruthy();
    expect(screen.queryByText('s3cr3t-value')).toBeNull();
  }, 20_000);

  it('disables, edits and deletes GetHomepage keys', async () => {
    let key = token({ id: '00000000-0000-4000-8000-0000000000d4', token_name: 'GetHomepage Widget', metadata: { integration_type: 'gethomepage' } });
    const enrollment = token();
    const api = mockApi({
      'GET /auto-enrollment/tokens': () => ({ body: [key, enrollment] }),
      'PATCH /auto-enrollment/tokens/00000000-0000-4000-8000-0000000000d4': ({ body }) => {
        key = { ...key, ...(body as Partial<Token>) };
        if ((body as { expires_at?: string }).expires_at === '') key.expires_at = null;
        return { body: { message: 'Token updated successfully', token: key } };
      },
      'DELETE /auto-enrollment/tokens/00000000-0000-4000-8000-0000000000d4': {
        body: { message: 'Auto-enrollment token deleted successfully', deleted_token: { id: key.id, token_name: 'Homepage' } },
      },
    });
    const user = userEvent.setup();
    renderApp('/settings/integrations?tab=gethomepage');
    const row = (await screen.findByText('GetHomepage Widget')).closest('tr')!;
    expect(screen.queryByText('Proxmox cluster A')).toBeNull();
    expect(within(row).getByText('Active')).toBeTruthy();

    await user.click(within(row).getByRole('button', { name: 'Actions for GetHomepage Widget' }));
    await user.click(await screen.findByRole('button', { name: 'Disable' }));
    expect(await screen.findByText('“GetHomepage Widget” is disabled.')).toBeTruthy();
    expect(api.calls('PATCH /auto-enrollment/tokens/00000000-0000-4000-8000-0000000000d4')[0]?.body).toEqual({ is_active: false });
    await waitFor(() => expect(within(screen.getByText('GetHomepage Widget').closest('tr')!).getByText('Disabled')).toBeTruthy());

    const row2 = screen.getByText('GetHomepage Widget').closest('tr')!;
    await user.click(within(row2).getByRole('button', { name: 'Actions for GetHomepage Widget' }));
    await user.click(await screen.findByRole('button', { name: 'Edit' }));
    const dialog = await screen.findByRole('dialog', { name: 'Edit “GetHomepage Widget”' });
    const name = within(dialog).getByLabelText('Token name');
    await user.clear(name);
    await user.type(name, 'Homepage');
    await user.click(within(dialog).getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText('“Homepage” is saved.')).toBeTruthy();
    expect(api.calls('PATCH /auto-enrollment/tokens/00000000-0000-4000-8000-0000000000d4')[1]?.body).toEqual({
      token_name: 'Homepage',
      allowed_ip_ranges: [],
      expires_at: '',
    });

    const row3 = (await screen.findByText('Homepage')).closest('tr')!;
    await user.click(within(row3).getByRole('button', { name: 'Actions for Homepage' }));
    await user.click(await screen.findByRole('button', { name: 'Delete' }));
    const confirm = await screen.findByRole('dialog', { name: 'Delete “Homepage”?' });
    await user.click(within(confirm).getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText('“Homepage” is deleted. It stopped working at once.')).toBeTruthy();
  }, 20_000);

  it('puts server validation messages on the field', async () => {
    mockApi({
      'GET /auto-enrollment/tokens': { body: [] },
      'GET /integrations/host-groups': { body: { host_groups: [], total: 0 } },
      'POST /auto-enrollment/tokens': {
        status: 400,
        body: { error: 'Invalid IP address or CIDR: nonsense', code: 'validation_error', field: 'allowed_ip_ranges', errors: [] },
      },
    });
    const user = userEvent.setup();
    renderApp('/settings/integrations');
    await user.click(await screen.findByRole('button', { name: 'New Token' }));
    const dialog = await screen.findByRole('dialog', { name: 'New Token' });
    await user.type(within(dialog).getByLabelText('Token name'), 'Cluster');
    await user.type(within(dialog).getByLabelText('Allowed IP addresses'), 'nonsense');
    await user.click(within(dialog).getByRole('button', { name: 'Create Token' }));
    expect(await within(dialog).findByText('Invalid IP address or CIDR: nonsense')).toBeTruthy();
    expect(within(dialog).getByLabelText('Allowed IP addresses').getAttribute('aria-invalid')).toBe('true');
  });
});

describe('one-time secret dialog', () => {
  it('gives an enrollment token its one-liner and examples, ready to copy', async () => {
    render(
      <AppProviders>
        <SecretDialog
          onClose={() => undefined}
          created={{
            message: 'Auto-enrollment token created successfully',
            warning: '⚠️ Save the token_secret now - it cannot be retrieved later!',
            token: {
              id: '00000000-0000-4000-8000-0000000000e5',
              token_name: 'Proxmox cluster A',
              token_key: 'patchmon_ae_cafe',
              token_secret: 'beef',
              is_active: true,
              max_hosts_per_day: 100,
              allowed_ip_ranges: [],
              default_host_group: null,
              created_by: null,
              expires_at: null,
              metadata: { integration_type: 'proxmox-lxc' },
              scopes: null,
              created_at: '2026-01-01T00:00:00Z',
            },
            usage: {
              integration_type: 'proxmox-lxc',
              server_url: 'https://pm.example.com',
              script_url: 'https://pm.example.com/api/v1/auto-enrollment/script?type=proxmox-lxc&token_key=patchmon_ae_cafe&token_secret=beef',
              one_liner: 'curl -s "https://pm.example.com/api/v1/auto-enrollment/script?type=proxmox-lxc&token_key=patchmon_ae_cafe&token_secret=beef" | bash',
              examples: [{ title: 'Force install mode for containers with broken packages', command: 'curl -s "…&force=true" | bash' }],
            },
          }}
        />
      </AppProviders>,
    );
    const dialog = await screen.findByRole('dialog', { name: 'Proxmox LXC credential created' });
    expect(within(dialog).getByLabelText('Install one-liner').textContent).toContain('| bash');
    expect(within(dialog).getByText('More usage examples (1)')).toBeTruthy();
    expect(within(dialog).queryByLabelText('Try it with curl')).toBeNull();
    // Key, secret, one-liner and the example inside the collapsed details.
    expect(within(dialog).getAllByRole('button', { name: 'Copy', hidden: true })).toHaveLength(4);
  });
});
