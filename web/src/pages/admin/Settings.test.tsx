import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi } from '../../test/api';
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
