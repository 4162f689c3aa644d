import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

/** Where the versioned API lives; the spec's paths carry this prefix. */
export const API_BASE_PATH = '/api/v1';

type ApiPrefix = typeof API_BASE_PATH;

/** The spec's /api/v1/* paths with the prefix removed, so callers write api.GET('/hosts'). */
export type ApiPaths = {
  [P in keyof paths as P extends `${ApiPrefix}${infer Rest}` ? Rest : never]: paths[P];
};

/** Paths served at the root instead of under /api/v1, such as /health. */
export type RootPaths = {
  [P in keyof paths as P extends `${ApiPrefix}${string}` ? never : P]: paths[P];
};

export type Schemas = components['schemas'];

// Request needs an absolute URL outside browsers (tests run in Node), and the
// dashboard is always served by the API server itself, so the origin is right.
function origin(): string {
  return typeof window === 'undefined' ? 'http://localhost' : window.location.origin;
}

// Resolve fetch per call rather than at import, so tests can stub it and
// wrappers installed later are honoured.
const lateFetch: typeof fetch = (input, init) => globalThis.fetch(input, init);

const shared = {
  fetch: lateFetch,
  credentials: 'same-origin',
  headers: { Accept: 'application/json' },
} as const;

/** Typed client for the versioned API: api.GET('/hosts'). */
export const api = createClient<ApiPaths>({ ...shared, baseUrl: origin() + API_BASE_PATH });

/** Typed client for root endpoints outside /api/v1: root.GET('/health', …). */
export const root = createClient<RootPaths>({ ...shared, baseUrl: origin() });

/** Error raised when the server answers with something other than the documented response. */
export class ApiError extends Error {
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** The message from an API error body ({"error": "..."}), or a fallback naming the status. */
export function errorMessage(body: unknown, status: number): string {
  if (body && typeof body === 'object' && 'error' in body && typeof body.error === 'string' && body.error) {
    return body.error;
  }
  return `The server answered with HTTP ${status}.`;
}
