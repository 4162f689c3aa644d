import { useQuery } from '@tanstack/react-query';
import { ApiError, errorMessage, root, type Schemas } from './client';

export type Health = Schemas['Health'];
export type DependencyHealth = Schemas['DependencyHealth'];

function isHealth(value: unknown): value is Health {
  return (
    !!value &&
    typeof value === 'object' &&
    'status' in value &&
    'database' in value &&
    'redis' in value
  );
}

/**
 * GET /health?format=json. A 503 still carries a health document describing
 * what is down, so it resolves like a 200; anything else rejects.
 */
export async function fetchHealth(signal?: AbortSignal): Promise<Health> {
  let result;
  try {
    result = await root.GET('/health', { params: { query: { format: 'json' } }, signal });
  } catch (err) {
    // A proxy or an older server answering 200 with plain text or HTML.
    if (err instanceof SyntaxError) throw new ApiError('The server did not answer with a JSON health document.', 200);
    throw err;
  }
  const { data, error, response } = result;
  if (data !== undefined && isHealth(data)) return data;
  if (response.status === 503 && isHealth(error)) return error;
  throw new ApiError(errorMessage(error, response.status), response.status);
}

export const healthQueryKey = ['health'] as const;

/** How often the dashboard re-checks health while it is open. */
export const HEALTH_REFRESH_MS = 30_000;

export function useHealth() {
  return useQuery({
    queryKey: healthQueryKey,
    queryFn: ({ signal }) => fetchHealth(signal),
    refetchInterval: HEALTH_REFRESH_MS,
  });
}
