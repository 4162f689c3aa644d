import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ThemeToggle } from './components/ThemeToggle';
import { setSystemDark } from './test/media';
import { THEME_STORAGE_KEY, ThemeProvider } from './theme';

function renderToggle() {
  render(
    <ThemeProvider>
      <ThemeToggle />
    </ThemeProvider>,
  );
  return screen.getByRole('button', { name: 'Dark theme' });
}

const isDark = () => document.documentElement.classList.contains('dark');

describe('theme toggle', () => {
  it('starts light when the system prefers light and nothing is stored', () => {
    const toggle = renderToggle();
    expect(isDark()).toBe(false);
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    expect(window.localStorage.getItem(THEME_STORAGE_KEY)).toBeNull();
  });

  it('respects prefers-color-scheme: dark', () => {
    setSystemDark(true);
    const toggle = renderToggle();
    expect(isDark()).toBe(true);
    expect(document.documentElement.style.colorScheme).toBe('dark');
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
  });

  it('toggles on click and persists the choice in localStorage', async () => {
    const user = userEvent.setup();
    const toggle = renderToggle();

    await user.click(toggle);
    expect(isDark()).toBe(true);
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    expect(window.localStorage.getItem(THEME_STORAGE_KEY)).toBe('dark');

    await user.click(toggle);
    expect(isDark()).toBe(false);
    expect(window.localStorage.getItem(THEME_STORAGE_KEY)).toBe('light');
  });

  it('is reachable and operable from the keyboard', async () => {
    const user = userEvent.setup();
    const toggle = renderToggle();

    await user.tab();
    expect(document.activeElement).toBe(toggle);
    await user.keyboard('{Enter}');
    expect(isDark()).toBe(true);
    await user.keyboard(' ');
    expect(isDark()).toBe(false);
  });

  it('lets a stored choice win over the system preference', () => {
    window.localStorage.setItem(THEME_STORAGE_KEY, 'light');
    setSystemDark(true);
    renderToggle();
    expect(isDark()).toBe(false);
  });

  it('follows system changes until the user chooses', async () => {
    const user = userEvent.setup();
    const toggle = renderToggle();

    act(() => setSystemDark(true));
    expect(isDark()).toBe(true);

    await user.click(toggle); // explicit choice: light
    expect(isDark()).toBe(false);
    act(() => setSystemDark(true));
    expect(isDark()).toBe(false);
  });
});
