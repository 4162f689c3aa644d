import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { dashboardStats, mockApi } from '../test/api';
import { renderApp } from '../test/render';

async function totals() {
  return within(await screen.findByRole('list', { name: 'Fleet totals' }));
}

describe('dashboard statistics', () => {
  it('shows the fleet totals as links to the filtered host list', async () => {
    const api = mockApi();
    renderApp('/');
    const list = await totals();
    const total = list.getByRole('link', { name: /Total Hosts/ });
    expect(total.textContent).toContain('12');
    expect(total.getAttribute('href')).toBe('/hosts');
    expect(list.getByRole('link', { name: /Needs Updating/ }).getAttribute('href')).toBe('/hosts?updates=1');
    expect(list.getByRole('link', { name: /Offline/ }).getAttribute('href')).toBe('/hosts?status=offline');
    expect(list.getByRole('link', { name: /Security Updates/ }).textContent).toContain('on 3 hosts');
    expect(list.queryByRole('link', { name: /Pending/ })).toBeNull();
    expect(await screen.findByText('Ubuntu 24.04')).toBeTruthy();
    expect(await screen.findByText(/No statistics for this period yet/)).toBeTruthy();
    expect(api.unhandled).toEqual([]);
  });

  it('says what to do when there are no hosts', async () => {
    mockApi({ 'GET /dashboard/stats': { body: { ...dashboardStats, totalHosts: 0, osDistribution: [] } } });
    renderApp('/');
    expect(await screen.findByText('No hosts yet.')).toBeTruthy();
  });
});

describe('customising the dashboard', () => {
  it('hides and reorders cards with the keyboard and saves the layout', async () => {
    const user = userEvent.setup();
    const api = mockApi({
      'PUT /dashboard-preferences': (req) => ({
        body: { message: 'Dashboard preferences updated successfully', preferences: (req.body as { preferences: unknown }).preferences },
      }),
    });
    renderApp('/');
    await totals();
    await user.click(screen.getByRole('button', { name: 'Customise' }));
    const panel = within(screen.getByRole('region', { name: 'Customise dashboard' }));

    await user.click(panel.getByRole('checkbox', { name: 'Show Total Hosts' }));
    const up = panel.getByRole('button', { name: 'Move Offline up' });
    up.focus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(document.activeElement).toBe(panel.getByRole('button', { name: 'Move Offline up' })));
    await user.click(panel.getByRole('button', { name: 'Save layout' }));

    await waitFor(() => expect(api.calls('PUT /dashboard-preferences')).toHaveLength(1));
    const body = api.calls('PUT /dashboard-preferences')[0]?.body as { preferences: { cardId: string; enabled: boolean; order: number }[] };
    const ids = body.preferences.map((p) => p.cardId);
    expect(ids.indexOf('offlineHosts')).toBe(ids.indexOf('hostsNeedingReboot') - 1);
    expect(body.preferences.find((p) => p.cardId === 'totalHosts')?.enabled).toBe(false);
    expect(body.preferences.map((p) => p.order)).toEqual(body.preferences.map((_, i) => i));

    await waitFor(() => expect(screen.queryByRole('region', { name: 'Customise dashboard' })).toBeNull());
    const list = await totals();
    expect(list.queryByRole('link', { name: /Total Hosts/ })).toBeNull();
    const links = list.getAllByRole('link').map((l) => l.getAttribute('href'));
    expect(links.indexOf('/hosts?status=offline')).toBeLessThan(links.indexOf('/hosts?reboot=1'));
  });
});
