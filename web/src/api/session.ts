// Session upkeep for every API call. The access token lives in an httpOnly cookie that
// the page cannot read, so expiry shows up as a 401: the first one triggers a single
// refresh (the refresh token is an httpOnly cookie too) and the request is retried. When
// the refresh fails, the session is gone and listeners are told, so the app can send the
// user to the login page and bring them back afterwards.

export const API_PREFIX = '/api/v1';

/** Endpoints whose 401 is about the credentials in the request, not about a session. */
const CREDENTIAL_PATHS = new Set([
  '/auth/login',
  '/auth/verify-tfa',
  '/auth/refresh',
  '/auth/setup-admin',
  '/auth/signup',
  '/auth/logout',
]);

type Listener = () => void;
const listeners = new Set<Listener>();

/** Calls listener whenever a request fails because the session ended; returns an unsubscribe function. */
export function onSessionExpired(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notifyExpired(): void {
  for (const listener of [...listeners]) listener();
}

let refreshing: Promise<boolean> | null = null;

/**
 * Renews the access token from the refresh-token cookie. Concurrent callers share one
 * request, because the server rotates the refresh token and a second use would fail.
 */
export function refreshSession(baseFetch: typeof fetch, origin: string): Promise<boolean> {
  refreshing ??= baseFetch(`${origin}${API_PREFIX}/auth/refresh`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
  })
    .then((res) => res.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

function apiPath(url: string): string | null {
  let pathname: string;
  try {
    pathname = new URL(url, 'http://localhost').pathname;
  } catch {
    return null;
  }
  return pathname.startsWith(API_PREFIX + '/') ? pathname.slice(API_PREFIX.length) : null;
}

function requestUrl(input: RequestInfo | URL): string {
  if (input instanceof Request) return input.url;
  return input instanceof URL ? input.href : input;
}

/** Wraps fetch with the refresh-and-retry behaviour described above. */
export function sessionFetch(baseFetch: typeof fetch): typeof fetch {
  return async (input, init) => {
    const url = requestUrl(input);
    const path = apiPath(url);
    if (path === null || CREDENTIAL_PATHS.has(path)) return baseFetch(input, init);

    // A Request body can be read once; keep a copy for the retry.
    const retry = input instanceof Request ? input.clone() : input;
    const response = await baseFetch(input, init);
    if (response.status !== 401) return response;

    const origin = new URL(url, window.location.origin).origin;
    if (await refreshSession(baseFetch, origin)) {
      const again = await baseFetch(retry, init);
      if (again.status !== 401) return again;
      notifyExpired();
      return again;
    }
    notifyExpired();
    return response;
  };
}
