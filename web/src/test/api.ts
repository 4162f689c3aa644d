import { vi } from 'vitest';
import type { Schemas } from '../api/client';
import { jsonResponse } from './render';

export type User = Schemas['User'];

/** Every permission the server knows today, as a super admin holds them. */
export const ALL_PERMISSIONS = [
  'can_view_dashboard',
  'can_view_hosts',
  'can_manage_hosts',
  'can_view_packages',
  'can_manage_packages',
  'can_view_users',
  'can_manage_users',
  'can_manage_superusers',
  'can_view_reports',
  'can_export_data',
  'can_manage_settings',
];

export const READONLY_PERMISSIONS = ['can_view_dashboard', 'can_view_hosts', 'can_view_packages', 'can_view_reports'];

export function makeUser(overrides: Partial<User> = {}): User {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    username: 'admin',
    email: 'admin@example.com',
    firstName: 'Ada',
    lastName: 'Admin',
    role: 'superadmin',
    isActive: true,
    tfaEnabled: false,
    themePreference: 'system',
    avatarUrl: '',
    hasPassword: true,
    oidcLinked: false,
    locked: false,
    lastLoginAt: '2025-01-02T03:04:05Z',
    createdAt: '2025-01-01T00:00:00Z',
    updatedAt: '2025-01-01T00:00:00Z',
    ...overrides,
  };
}

export const healthyDocument: Schemas['Health'] = {
  status: 'healthy',
  version: 'test',
  uptimeSeconds: 1,
  timestamp: '2025-01-01T00:00:00Z',
  database: { status: 'up' },
  redis: { status: 'up' },
};

const defaultAsset = (path: string): Schemas['BrandingAsset'] => ({
  url: `${path}?v=default-test`,
  custom: false,
  contentType: 'image/svg+xml',
  size: 300,
  updatedAt: null,
});

export const defaultBranding: Schemas['Branding'] = {
  logoDark: defaultAsset('/assets/logo_dark.png'),
  logoLight: defaultAsset('/assets/logo_light.png'),
  favicon: defaultAsset('/assets/favicon.svg'),
};

/** A small fleet for the dashboard: 12 hosts, 5 needing updates. */
export const dashboardStats: Schemas['DashboardStats'] = {
  totalHosts: 12,
  activeHosts: 9,
  pendingHosts: 1,
  offlineHosts: 2,
  hostsNeedingUpdates: 5,
  hostsWithSecurityUpdates: 3,
  upToDateHosts: 6,
  hostsNeedingReboot: 1,
  totalOutdatedPackages: 40,
  securityUpdates: 7,
  osDistribution: [
    { name: 'Ubuntu 24.04', count: 8 },
    { name: 'Debian 12', count: 4 },
  ],
  lastUpdated: '2025-01-02T03:04:05Z',
};

export const serverSettings: Schemas['ServerSettings'] = {
  server_protocol: 'http',
  server_host: 'localhost',
  server_port: 3000,
  server_url: 'http://localhost:3000',
  server_url_source: 'environment',
  update_interval: 60,
  auto_update: false,
  ignore_ssl_self_signed: false,
  logo_dark: '/assets/logo_dark.png?v=default-test',
  logo_light: '/assets/logo_light.png?v=default-test',
  favicon: '/assets/favicon.svg?v=default-test',
  updated_at: '2025-01-01T00:00:00Z',
};

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

type Reply = Response | { status?: number; body: unknown };
type Handler = (request: RecordedRequest) => Reply | Promise<Reply>;

/**
 * Stubs fetch with a small fake of the PatchMon API. Routes are "METHOD /path" (the path
 * without /api/v1 for API calls, e.g. "GET /auth/profile"; "/health" for the root one).
 * Defaults: a signed-in super admin, setup done, no OIDC, sign-up off, a healthy server.
 * Unrouted requests answer 404 and are recorded in `unhandled`.
 */
export function mockApi(routes: Record<string, Handler | Reply> = {}, { signedIn = true }: { signedIn?: boolean } = {}) {
  const requests: RecordedRequest[] = [];
  const unhandled: string[] = [];
  const defaults: Record<string, Handler | Reply> = {
    'GET /auth/profile': signedIn
      ? { body: { user: makeUser(), permissions: ALL_PERMISSIONS } }
      : { status: 401, body: { error: 'Authentication required', code: 'unauthorized' } },
    'POST /auth/refresh': { status: 401, body: { error: 'Invalid or expired refresh token', code: 'invalid_refresh_token' } },
    'GET /auth/check-admin-users': { body: { hasAdminUsers: true, setupRequired: false } },
    'GET /auth/oidc/config': { body: { enabled: false, buttonText: 'Login with SSO', disableLocalAuth: false } },
    'GET /auth/signup-enabled': { body: { enabled: false } },
    'POST /auth/logout': { body: { message: 'Signed out' } },
    'GET /health': { body: healthyDocument },
    'GET /settings/branding': { body: defaultBranding },
    'GET /settings': { body: serverSettings },
    'GET /dashboard/stats': { body: dashboardStats },
    'GET /dashboard/trends': { body: { range: '7d', bucketSeconds: 7200, points: [] } },
    'GET /dashboard/recent-activity': { body: { items: [] } },
    'GET /dashboard-preferences': { body: { preferences: [], customised: false } },
  };
  const table = { ...defaults, ...routes };

  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const path = url.pathname.startsWith('/api/v1/') ? url.pathname.slice('/api/v1'.length) : url.pathname;
    const text = request.body ? await request.text() : '';
    const recorded: RecordedRequest = {
      method: request.method,
      path,
      query: url.searchParams,
      body: text ? JSON.parse(text) : undefined,
    };
    requests.push(recorded);
    const key = `${request.method} ${path}`;
    const route = table[key];
    if (!route) {
      unhandled.push(key);
      return jsonResponse({ error: `no route for ${key}` }, 404);
    }
    const reply = typeof route === 'function' ? await route(recorded) : route;
    if (reply instanceof Response) return reply.clone();
    return jsonResponse(reply.body, reply.status ?? 200);
  });
  vi.stubGlobal('fetch', fetchMock);

  return {
    fetch: fetchMock,
    requests,
    unhandled,
    /** Requests made to one route, e.g. calls('PUT /auth/profile'). */
    calls: (key: string) => requests.filter((r) => `${r.method} ${r.path}` === key),
  };
}
