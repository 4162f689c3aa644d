import createClient from 'openapi-fetch';
import type { components, paths } from './schema';
import { sessionFetch } from './session';

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
  // Renews an expired access token once and reports a session that is gone for good.
  fetch: sessionFetch(lateFetch),
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
  /** The stable machine-readable code from the error body, when there is one. */
  readonly code?: string;
  /** The request field the error is about (password, email, …), when there is one. */
  readonly field?: string;
  /** Seconds until a rate-limited request may be retried. */
  readonly retryAfter?: number;

  constructor(message: string, status: number, details: { code?: string; field?: string; retryAfter?: number } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = details.code;
    this.field = details.field;
    this.retryAfter = details.retryAfter;
  }
}

/** The message from an API error body ({"error": "..."}), or a fallback naming the status. */
export function errorMessage(body: unknown, status: number): string {
  if (body && typeof body === 'object' && 'error' in body && typeof body.error === 'string' && body.error) {
    return body.error;
  }
  return `The server answered with HTTP ${status}.`;
}

function stringProp(body: unknown, key: string): string | undefined {
  if (!body || typeof body !== 'object' || !(key in body)) return undefined;
  const value = (body as Record<string, unknown>)[key];
  return typeof value === 'string' && value ? value : undefined;
}

/** An ApiError carrying the message, code and field of an error body. */
export function toApiError(body: unknown, status: number): ApiError {
  const retry = body && typeof body === 'object' && 'retryAfter' in body ? Number(body.retryAfter) : undefined;
  return new ApiError(errorMessage(body, status), status, {
    code: stringProp(body, 'code'),
    field: stringProp(body, 'field'),
    retryAfter: retry !== undefined && Number.isFinite(retry) ? retry : undefined,
  });
}

/**
 * The data of an openapi-fetch result, or an ApiError built from its error body.
 * Lets query and mutation functions be written as `unwrap(await api.GET(…))`.
 */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || result.data === undefined) {
    throw toApiError(result.error, result.response.status);
  }
  return result.data;
}
