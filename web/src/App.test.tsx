import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ErrorBoundary } from './components/ErrorBoundary';
import { ToastProvider, useToast } from './components/Toasts';
import { sections } from './nav';
import { mockApi } from './test/api';
import { renderApp } from './test/render';

describe('app shell', () => {
  it('links every section from the main navigation', async () => {
    mockApi();
    renderApp('/');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    for (const section of sections) {
      const link = nav.querySelector(`a[href="${section.path}"]`);
      expect(link?.textContent).toBe(section.label);
    }
    expect(screen.getByRole('link', { name: 'PatchMon' })).toBeTruthy();
    await screen.findByRole('heading', { name: 'Dashboard', level: 1 });
  });

  it.each(sections.filter((s) => s.arrivesWith))('renders an empty state for $label', async (section) => {
    mockApi();
    renderApp(section.path);
    await screen.findByRole('heading', { name: section.label, level: 1 });
    expect(screen.getByText(`This section arrives with ${section.arrivesWith}.`)).toBeTruthy();
    expect(document.title).toBe(`${section.label} · PatchMon`);
  });

  it('renders a 404 page for unknown paths', async () => {
    mockApi();
    renderApp('/no/such/page');
    await screen.findByRole('heading', { name: 'Page not found' });
    expect(screen.getByText('/no/such/page')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Back to the dashboard' }).getAttribute('href')).toBe('/');
  });

  it('opens and closes the phone navigation from its labelled button', async () => {
    mockApi();
    const user = userEvent.setup();
    renderApp('/');
    const button = await screen.findByRole('button', { name: 'Open navigation' });
    expect(button.getAttribute('aria-expanded')).toBe('false');

    await user.click(button);
    expect(button.getAttribute('aria-expanded')).toBe('true');
    expect(button.getAttribute('aria-label')).toBe('Close navigation');

    await user.keyboard('{Escape}');
    expect(button.getAttribute('aria-expanded')).toBe('false');
  });
});

function Boom(): never {
  throw new Error('kaboom');
}

describe('error boundary', () => {
  it('shows a copyable error report', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const writeText = vi.fn(async (_text: string) => {});
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText } });
    const user = userEvent.setup();

    render(
      <ToastProvider>
        <ErrorBoundary>
          <Boom />
        </ErrorBoundary>
      </ToastProvider>,
    );

    expect(screen.getByRole('heading', { name: 'Something went wrong on this page' })).toBeTruthy();
    const report = screen.getByLabelText<HTMLTextAreaElement>('Error report');
    expect(report.value).toContain('Error: kaboom');
    expect(report.value).toContain('URL: http://localhost');

    // userEvent installs its own clipboard stub on setup; put ours back.
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText } });
    await user.click(screen.getByRole('button', { name: 'Copy error report' }));
    expect(writeText).toHaveBeenCalledWith(report.value);
    expect((await screen.findByRole('status')).textContent).toContain('Error report copied');
  });
});

function ToastButton() {
  const toast = useToast();
  return (
    <button type="button" onClick={() => toast.show('Saved.', { kind: 'success', duration: 50 })}>
      Save
    </button>
  );
}

describe('toasts', () => {
  it('announces a message, then removes it after its duration', async () => {
    const user = userEvent.setup();
    render(
      <ToastProvider>
        <ToastButton />
      </ToastProvider>,
    );
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByRole('status').textContent).toContain('Saved.');
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe(''));
  });

  it('can be dismissed with its labelled button', async () => {
    const user = userEvent.setup();
    render(
      <ToastProvider>
        <ToastButton />
      </ToastProvider>,
    );
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await user.click(screen.getByRole('button', { name: 'Dismiss notification' }));
    expect(screen.getByRole('status').textContent).toBe('');
  });
});
