import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, ApiError, toApiError, unwrap, type Schemas } from '../api/client';
import { onSessionExpired } from '../api/session';
import { useTheme, type ThemePreference } from '../theme';
import type { LoginReason } from './redirect';

export type User = Schemas['User'];
export type Profile = Schemas['AuthProfile'];

export type AuthStatus = 'loading' | 'anonymous' | 'authenticated' | 'error';

export interface AuthContextValue {
  status: AuthStatus;
  user: User | null;
  permissions: ReadonlySet<string>;
  /** Whether the signed-in user has a permission such as can_manage_users. */
  can: (permission: string) => boolean;
  /** Why the profile could not be read when status is 'error' (server unreachable, 5xx). */
  error: Error | null;
  /**
   * Why the last session ended in this tab, if it did: the protected pages then send the
   * user to the login page with the matching message instead of a plain redirect.
   */
  exitReason: LoginReason | null;
  /** Records a successful sign-in (login, 2FA, setup, sign-up) without another round trip. */
  signedIn: (profile: Profile) => void;
  /** Ends the session (or, with everywhere, every session of the user) and goes to the login page. */
  signOut: (options?: { everywhere?: boolean }) => Promise<void>;
  /** Re-reads the profile (after a change to the user or their role). */
  reload: () => Promise<unknown>;
}

export const profileQueryKey = ['auth', 'profile'] as const;

/** GET /auth/profile: the user and permissions, or null when nobody is signed in. */
export async function fetchProfile(signal?: AbortSignal): Promise<Profile | null> {
  const { data, error, response } = await api.GET('/auth/profile', { signal });
  if (data) return data;
  if (response.status === 401) return null;
  throw toApiError(error, response.status);
}

const AuthContext = createContext<AuthContextValue | null>(null);

const noPermissions: ReadonlySet<string> = new Set();

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const { setPreference } = useTheme();
  const [exitReason, setExitReason] = useState<LoginReason | null>(null);

  const profile = useQuery({
    queryKey: profileQueryKey,
    queryFn: ({ signal }) => fetchProfile(signal),
    staleTime: 60_000,
    retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 2,
  });

  const user = profile.data?.user ?? null;
  const status: AuthStatus = profile.isPending
    ? 'loading'
    : profile.data
      ? 'authenticated'
      : profile.isError
        ? 'error'
        : 'anonymous';

  const permissions = useMemo(
    () => (profile.data ? new Set(profile.data.permissions) : noPermissions),
    [profile.data],
  );

  // The server remembers the user's theme; follow it when they sign in or it changes.
  const themePreference = user?.themePreference;
  useEffect(() => {
    if (themePreference) setPreference(themePreference as ThemePreference);
  }, [user?.id, themePreference, setPreference]);

  const forget = useCallback(() => {
    // Everything cached belonged to the user who just left.
    queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== profileQueryKey[0] });
    queryClient.setQueryData(profileQueryKey, null);
  }, [queryClient]);

  // Read through a ref so the listener below sees the current state without re-subscribing.
  const statusRef = useRef(status);
  statusRef.current = status;

  // The protected routes notice the missing user and redirect (see RequireAuth); doing it
  // there, from the same render, avoids two navigations racing each other.
  useEffect(
    () =>
      onSessionExpired(() => {
        if (statusRef.current !== 'authenticated') return;
        setExitReason('expired');
        forget();
      }),
    [forget],
  );

  const signedIn = useCallback(
    (next: Profile) => {
      setExitReason(null);
      queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== profileQueryKey[0] });
      queryClient.setQueryData(profileQueryKey, { user: next.user, permissions: next.permissions });
    },
    [queryClient],
  );

  const signOut = useCallback(
    async ({ everywhere = false }: { everywhere?: boolean } = {}) => {
      // Signing out everywhere must not look done here when the server did not do it.
      if (everywhere) unwrap(await api.POST('/auth/logout-all'));
      try {
        if (!everywhere) await api.POST('/auth/logout');
      } finally {
        setExitReason('signed-out');
        forget();
      }
    },
    [forget],
  );

  const reload = useCallback(() => queryClient.invalidateQueries({ queryKey: profileQueryKey }), [queryClient]);

  const can = useCallback((permission: string) => permissions.has(permission), [permissions]);

  const value = useMemo<AuthContextValue>(
    () => ({
      status,
      user,
      permissions,
      can,
      error: profile.error,
      exitReason,
      signedIn,
      signOut,
      reload,
    }),
    [status, user, permissions, can, profile.error, exitReason, signedIn, signOut, reload],
  );

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth must be used inside <AuthProvider>');
  return value;
}

/** The signed-in user; only for components rendered behind <RequireAuth>. */
export function useUser(): User {
  const { user } = useAuth();
  if (!user) throw new Error('useUser needs a signed-in user (render it behind <RequireAuth>)');
  return user;
}

/** "Ada Lovelace", or the username when the account has no names. */
export function displayName(user: Pick<User, 'firstName' | 'lastName' | 'username'>): string {
  const full = `${user.firstName} ${user.lastName}`.trim();
  return full || user.username;
}

/** Up to two initials for an avatar. */
export function initials(user: Pick<User, 'firstName' | 'lastName' | 'username'>): string {
  const parts = [user.firstName, user.lastName].filter(Boolean);
  const letters = parts.length > 0 ? parts.map((p) => p[0]) : [user.username[0]];
  return letters.join('').slice(0, 2).toUpperCase() || '?';
}
