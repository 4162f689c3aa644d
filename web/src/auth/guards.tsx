import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { api, unwrap } from '../api/client';
import { ShieldIcon } from '../components/icons';
import { usePageTitle } from '../usePageTitle';
import { useAuth } from './AuthProvider';
import { loginPath } from './redirect';

export const setupStatusQueryKey = ['auth', 'setup-status'] as const;

/** GET /auth/check-admin-users: whether the first administrator still has to be created. */
export function useSetupStatus(enabled = true) {
  return useQuery({
    queryKey: setupStatusQueryKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/auth/check-admin-users', { signal })),
    enabled,
    staleTime: 30_000,
  });
}

export const signupStatusQueryKey = ['auth', 'signup-enabled'] as const;

/** GET /auth/signup-enabled: whether anyone may create an account. */
export function useSignupEnabled() {
  return useQuery({
    queryKey: signupStatusQueryKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/auth/signup-enabled', { signal })).enabled,
    // An administrator may switch it at any time; the login page asks afresh each visit.
    staleTime: 0,
  });
}

/** A full-screen message while the session is checked, or when the server cannot be reached. */
export function FullPageStatus({ title, children, busy }: { title: string; children?: ReactNode; busy?: boolean }) {
  return (
    <div className="flex min-h-dvh items-center justify-center p-6">
      <div role={busy ? 'status' : 'alert'} className="max-w-md text-center">
        <ShieldIcon className="mx-auto h-10 w-10 text-blue-600 dark:text-blue-400" />
        <p className="mt-4 font-semibold">{title}</p>
        {children && <div className="mt-2 text-sm text-slate-600 dark:text-slate-400">{children}</div>}
      </div>
    </div>
  );
}

/**
 * Renders children for a signed-in user. Anyone else goes to the first-time setup page
 * while no administrator exists, otherwise to the login page, which brings them back here.
 */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { status, error, reload, exitReason } = useAuth();
  const location = useLocation();
  const setup = useSetupStatus(status === 'anonymous');

  if (status === 'loading') return <FullPageStatus title="Checking your session…" busy />;
  if (status === 'error') {
    return (
      <FullPageStatus title="Cannot reach the PatchMon server.">
        <p>{error?.message}</p>
        <button
          type="button"
          onClick={() => void reload()}
          className="mt-4 rounded-md bg-blue-600 px-4 py-2 text-sm font-medium text-white hover:bg-blue-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500"
        >
          Try again
        </button>
      </FullPageStatus>
    );
  }
  if (status === 'anonymous') {
    if (setup.isPending) return <FullPageStatus title="Checking your session…" busy />;
    if (setup.data?.setupRequired) return <Navigate to="/setup" replace />;
    const here = location.pathname + location.search + location.hash;
    // After a deliberate sign-out nobody asked to come back here; after an expiry they do.
    const target = exitReason === 'signed-out' ? loginPath({ reason: 'signed-out' }) : loginPath({ next: here, reason: exitReason ?? undefined });
    return <Navigate to={target} replace />;
  }
  return <>{children}</>;
}

/** Renders children only for users with the permission; others see why they cannot. */
export function RequirePermission({ permission, children }: { permission: string; children: ReactNode }) {
  const { can } = useAuth();
  if (can(permission)) return <>{children}</>;
  return <Forbidden />;
}

function Forbidden() {
  usePageTitle('Not allowed');
  return (
    <div className="mx-auto max-w-lg py-16 text-center">
      <p className="text-sm font-semibold text-rose-600 dark:text-rose-400">403</p>
      <h1 className="mt-2 text-2xl font-semibold tracking-tight">You do not have access to this page</h1>
      <p className="mt-3 text-sm text-slate-600 dark:text-slate-400">
        Your role does not include the permission this page needs. Ask an administrator if you should have it.
      </p>
    </div>
  );
}
