import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { defaultBranding, mockApi, serverSettings } from '../../test/api';
import { renderApp } from '../../test/render';

describe('settings page', () => {
  it('turns self sign-up on and off', async () => {
    let enabled = false;
    const api = mockApi({
      'GET /auth/settings': () => ({ body: { signupEnabled: enabled } }),
      'PUT /auth/settings': ({ body }) => {
        enabled = (body as { signupEnabled: boolean }).signupEnabled;
        return { body: { signupEnabled: enabled } };
      },
    });
    const user = userEvent.setup();
    renderApp('/settings');

    const box = await screen.findByLabelText<HTMLInputElement>('Allow self sign-up');
    expect(box.checked).toBe(false);
    await user.click(box);
    await screen.findByText('Self sign-up is on.');
    expect(box.checked).toBe(true);
    await user.click(box);
    await screen.findByText('Self sign-up is off.');
    await waitFor(() => expect(box.checked).toBe(false));
    expect(api.calls('PUT /auth/settings').map((c) => c.body)).toEqual([{ signupEnabled: true }, { signupEnabled: false }]);
  });
});

describe('general settings', () => {
  it('saves the server URL and update interval and says which agents got it', async () => {
    const api = mockApi({
      'PUT /settings': ({ body }) => {
        const b = body as { serverHost?: string; serverPort?: number; serverProtocol?: 'http' | 'https'; updateInterval?: number };
        return {
          body: {
            message: 'Settings updated successfully',
            settings: {
              ...serverSettings,
              server_protocol: b.serverProtocol ?? 'http',
              server_host: b.serverHost ?? 'localhost',
              server_port: b.serverPort ?? 3000,
              server_url: 'https://patchmon.example.com',
              server_url_source: 'settings',
              update_interval: b.updateInterval ?? 60,
            },
            agentsNotified: { delivered: 3, offline: 1, failed: 0 },
          },
        };
      },
    });
    const user = userEvent.setup();
    renderApp('/settings');

    const host = await screen.findByLabelText('Host');
    await user.clear(host);
    await user.type(host, 'patchmon.example.com');
    await user.selectOptions(screen.getByLabelText('Protocol'), 'https');
    const port = screen.getByLabelText('Port');
    await user.clear(port);
    await user.type(port, '443');
    expect(screen.getByText('https://patchmon.example.com')).toBeTruthy();
    await user.selectOptions(screen.getByLabelText('Agent update interval'), '15');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));

    await screen.findByText(/reached 3 connected agents; 1 offline host picks it up when it reconnects/);
    expect(api.calls('PUT /settings').map((c) => c.body)).toEqual([
      { autoUpdate: false, ignoreSslSelfSigned: false, serverProtocol: 'https', serverHost: 'patchmon.example.com', serverPort: 443, updateInterval: 15 },
    ]);
  });

  it('refuses a port out of range without calling the server', async () => {
    const api = mockApi();
    const user = userEvent.setup();
    renderApp('/settings');
    const port = await screen.findByLabelText('Port');
    await user.clear(port);
    await user.type(port, '70000');
    await user.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByText('Port must be between 1 and 65535')).toBeTruthy();
    expect(api.calls('PUT /settings')).toHaveLength(0);
  });

  it('uploads a logo and shows the server’s refusal of a bad file', async () => {
    const api = mockApi({
      'POST /settings/logos/upload': ({ body }) => {
        const b = body as { fileName: string; fileContent: string };
        if (b.fileName === 'notes.txt') {
          return { status: 400, body: { error: 'Unsupported file type: upload a PNG, JPEG, SVG or ICO image', field: 'fileContent' } };
        }
        return {
          body: {
            message: 'Light logo uploaded successfully',
            branding: { ...defaultBranding, logoLight: { ...defaultBranding.logoLight, custom: true, url: '/assets/logo_light.png?v=abc' } },
          },
        };
      },
    });
    const user = userEvent.setup({ applyAccept: false });
    renderApp('/settings');
    const input = await screen.findByLabelText('Upload logo for light backgrounds');
    await user.upload(input, new File(['<svg xmlns="http://www.w3.org/2000/svg"/>'], 'logo.svg', { type: 'image/svg+xml' }));
    await screen.findByText('Light logo uploaded successfully');
    const sent = api.calls('POST /settings/logos/upload')[0]?.body as { logoType: string; fileContent: string };
    expect(sent.logoType).toBe('light');
    expect(sent.fileContent.startsWith('data:image/svg+xml;base64,')).toBe(true);
    expect(screen.getByRole('button', { name: 'Reset to default' })).toBeTruthy();

    const again = await screen.findByLabelText('Upload logo for light backgrounds');
    await user.upload(again, new File(['hello'], 'notes.txt', { type: 'text/plain' }));
    expect(await screen.findByText('Unsupported file type: upload a PNG, JPEG, SVG or ICO image')).toBeTruthy();
  });
});
