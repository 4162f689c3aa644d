import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../../api/client';

export type TrendRange = Schemas['DashboardTrends']['range'];

/** Every dashboard query starts with this key, so live events refresh them together. */
export const dashboardKey = ['dashboard'] as const;
export const layoutKey = ['dashboard-preferences'] as const;

export function useStats() {
  return useQuery({
    queryKey: [...dashboardKey, 'stats'],
    queryFn: async ({ signal }) => unwrap(await api.GET('/dashboard/stats', { signal })),
    refetchInterval: 60_000,
  });
}

export function useTrends(range: TrendRange) {
  return useQuery({
    queryKey: [...dashboardKey, 'trends', range],
    queryFn: async ({ signal }) => unwrap(await api.GET('/dashboard/trends', { params: { query: { range } }, signal })),
    refetchInterval: 5 * 60_000,
  });
}

export function useRecentActivity() {
  return useQuery({
    queryKey: [...dashboardKey, 'activity'],
    queryFn: async ({ signal }) => unwrap(await api.GET('/dashboard/recent-activity', { params: { query: { limit: 8 } }, signal })),
    refetchInterval: 60_000,
  });
}

export function useLayout() {
  return useQuery({
    queryKey: layoutKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/dashboard-preferences', { signal })),
    staleTime: Infinity,
  });
}

export function useSaveLayout() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (preferences: Schemas['DashboardCardPreference'][]) =>
      unwrap(await api.PUT('/dashboard-preferences', { body: { preferences } })),
    onSuccess: (saved) => queryClient.setQueryData(layoutKey, { preferences: saved.preferences, customised: true }),
  });
}
