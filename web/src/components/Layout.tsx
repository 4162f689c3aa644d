import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Suspense, useEffect, useRef, useState } from 'react';
import { Link, NavLink, Outlet, useLocation } from 'react-router';
import { api, unwrap } from '../api/client';
import { profileQueryKey, useAuth, type Profile } from '../auth/AuthProvider';
import { visibleSections, type Section } from '../nav';
import type { Theme } from '../theme';
import { ErrorBoundary } from './ErrorBoundary';
import { BrandLogo } from './Brand';
import { CloseIcon, MenuIcon } from './icons';
import { ThemeToggle } from './ThemeToggle';
import { useToast } from './Toasts';
import { UserMenu } from './UserMenu';

const NAV_ID = 'main-navigation';

/** Saves the theme chosen with the header toggle to the user's profile, so it follows them. */
function useSaveTheme() {
  const queryClient = useQueryClient();
  const toast = useToast();
  const save = useMutation({
    mutationFn: async (theme: Theme) => unwrap(await api.PUT('/auth/profile', { body: { themePreference: theme } })),
    onSuccess: (profile) => queryClient.setQueryData<Profile>(profileQueryKey, profile),
    onError: (err) => toast.show(`Your theme was not saved to your profile: ${err.message}`, { kind: 'error' }),
  });
  return save.mutate;
}

function NavList({ items }: { items: Section[] }) {
  return (
    <ul className="space-y-1">
      {items.map(({ path, label, icon: Icon }) => (
        <li key={path}>
          <NavLink
            to={path}
            end={path === '/'}
            className={({ isActive }) =>
              `flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500 ${
                isActive
                  ? 'bg-blue-50 text-blue-700 dark:bg-blue-950 dark:text-blue-200'
                  : 'text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800'
              }`
            }
          >
            <Icon className="h-5 w-5 shrink-0" />
            {label}
          </NavLink>
        </li>
      ))}
    </ul>
  );
}

export function Layout() {
  const { pathname } = useLocation();
  const { can } = useAuth();
  const saveTheme = useSaveTheme();
  const visible = visibleSections(can);
  const main = visible.filter((s) => !s.group);
  const admin = visible.filter((s) => s.group === 'Administration');
  const [menuOpen, setMenuOpen] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  // After client-side navigation, move focus to the new page so keyboard and
  // screen-reader users start there rather than on the link they activated.
  useEffect(() => {
    setMenuOpen(false);
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    mainRef.current?.focus();
  }, [pathname]);

  useEffect(() => {
    if (!menuOpen) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setMenuOpen(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [menuOpen]);

  return (
    <div className="min-h-dvh">
      <a
        href="#main"
        className="sr-only z-50 rounded-md bg-blue-600 px-3 py-2 text-white focus:not-sr-only focus:fixed focus:top-2 focus:left-2"
      >
        Skip to content
      </a>

      <header className="sticky top-0 z-30 flex h-14 items-center gap-2 border-b border-slate-200 bg-white/90 px-3 backdrop-blur sm:px-4 dark:border-slate-800 dark:bg-slate-900/90">
        <button
          type="button"
          className="inline-flex h-10 w-10 items-center justify-center rounded-md text-slate-600 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500 lg:hidden dark:text-slate-300 dark:hover:bg-slate-800"
          aria-label={menuOpen ? 'Close navigation' : 'Open navigation'}
          aria-expanded={menuOpen}
          aria-controls={NAV_ID}
          onClick={() => setMenuOpen((open) => !open)}
        >
          {menuOpen ? <CloseIcon className="h-5 w-5" /> : <MenuIcon className="h-5 w-5" />}
        </button>
        <Link
          to="/"
          className="flex items-center gap-2 rounded-md px-1 text-lg font-semibold tracking-tight focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500"
        >
          <BrandLogo />
        </Link>
        <div className="flex-1" />
        <ThemeToggle onChange={saveTheme} />
        <UserMenu />
      </header>

      <div className="lg:flex">
        {menuOpen && (
          <div className="fixed inset-0 top-14 z-10 bg-slate-900/40 lg:hidden" aria-hidden="true" onClick={() => setMenuOpen(false)} />
        )}
        <nav
          id={NAV_ID}
          aria-label="Main"
          className={`${menuOpen ? 'block' : 'hidden'} fixed inset-y-0 top-14 left-0 z-20 w-64 overflow-y-auto border-r border-slate-200 bg-white p-3 lg:sticky lg:block lg:h-[calc(100dvh-3.5rem)] lg:shrink-0 dark:border-slate-800 dark:bg-slate-900`}
        >
          <NavList items={main} />
          {admin.length > 0 && (
            <>
              <h2 id={`${NAV_ID}-admin`} className="mt-6 mb-2 px-3 text-xs font-semibold tracking-wide text-slate-500 uppercase dark:text-slate-400">
                Administration
              </h2>
              <div role="group" aria-labelledby={`${NAV_ID}-admin`}>
                <NavList items={admin} />
              </div>
            </>
          )}
        </nav>

        <main id="main" ref={mainRef} tabIndex={-1} className="min-w-0 flex-1 p-4 outline-none sm:p-6 lg:p-8">
          <ErrorBoundary resetKey={pathname}>
            <Suspense fallback={<PageLoading />}>
              <Outlet />
            </Suspense>
          </ErrorBoundary>
        </main>
      </div>
    </div>
  );
}

function PageLoading() {
  return (
    <p role="status" className="text-sm text-slate-500 dark:text-slate-400">
      Loading…
    </p>
  );
}
