import { keepPreviousData, useQuery, type QueryClient } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../../api/client';
import type { ListState } from './listState';

export type HostSummary = Schemas['HostSummary'];
export type HostDetail = Schemas['HostDetail'];
export type HostList = Schemas['HostList'];
export type HostView = Schemas['HostView'];
export type HostCredentials = Schemas['HostCredentials'];
export type InstallCommands = Schemas['HostInstallCommands'];
export type HostPackage = Schemas['HostPackage'];
export type GroupRef = Schemas['HostGroupRef'];

/** Every host query starts with this key, so one invalidation refreshes them all. */
export const hostsKey = ['hosts'] as const;
export const hostViewsKey = ['host-views'] as const;

export function hostKey(id: string) {
  return [...hostsKey, 'detail', id] as const;
}

/** GET /hosts for a list state. */
export function useHostList(state: ListState) {
  return useQuery({
    queryKey: [...hostsKey, 'list', state.search, state.group, state.status, state.os, state.needsUpdates, state.security,
      state.reboot, state.sort, state.order, state.page, state.pageSize],
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET('/hosts', {
          signal,
          params: {
            query: {
              search: state.search || undefined,
              group: state.group || undefined,
              status: state.status || undefined,
              os: state.os || undefined,
              needsUpdates: state.needsUpdates || undefined,
              securityUpdates: state.security || undefined,
              rebootRequired: state.reboot || undefined,
              sort: state.sort,
              order: state.order,
              page: state.page,
              pageSize: state.pageSize,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export function useHost(id: string) {
  return useQuery({
    queryKey: hostKey(id),
    queryFn: async ({ signal }) => unwrap(await api.GET('/hosts/{hostId}', { signal, params: { path: { hostId: id } } })),
  });
}

export interface PackageQuery {
  search: string;
  updatesOnly: boolean;
  securityOnly: boolean;
  page: number;
}

export function useHostPackages(id: string, q: PackageQuery) {
  return useQuery({
    queryKey: [...hostKey(id), 'packages', q],
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET('/hosts/{hostId}/packages', {
          signal,
          params: {
            path: { hostId: id },
            query: {
              search: q.search || undefined,
              updatesOnly: q.updatesOnly || undefined,
              securityOnly: q.securityOnly || undefined,
              page: q.page,
              pageSize: 50,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

export function useHostRepositories(id: string) {
  return useQuery({
    queryKey: [...hostKey(id), 'repositories'],
    queryFn: async ({ signal }) =>
      unwrap(await api.GET('/hosts/{hostId}/repositories', { signal, params: { path: { hostId: id } } })),
  });
}

export function useHostHistory(id: string, page: number) {
  return useQuery({
    queryKey: [...hostKey(id), 'history', page],
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET('/hosts/{hostId}/history', { signal, params: { path: { hostId: id }, query: { page, pageSize: 25 } } }),
      ),
    placeholderData: keepPreviousData,
  });
}

export function useHostViews() {
  return useQuery({
    queryKey: hostViewsKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/hosts/views', { signal })).views,
    staleTime: 60_000,
  });
}

/**
 * What the list can be filtered by (groups, operating systems) with host counts. Asked for
 * once rather than with every page: they do not depend on the filters.
 */
export function useHostFacets() {
  return useQuery({
    queryKey: [...hostsKey, 'facets'],
    queryFn: async ({ signal }) =>
      unwrap(await api.GET('/hosts', { signal, params: { query: { pageSize: 1, facets: true } } })).facets ?? {
        groups: [],
        osTypes: [],
        ungrouped: 0,
      },
    staleTime: 30_000,
  });
}

/** Host groups with their host counts, for pickers. */
export function useHostGroups() {
  const facets = useHostFacets();
  return { ...facets, data: facets.data?.groups };
}

/** Takes deleted hosts out of every cached list page at once, before the lists are refetched. */
export function dropFromLists(queryClient: QueryClient, ids: string[]) {
  const gone = new Set(ids);
  queryClient.setQueriesData<HostList>({ queryKey: [...hostsKey, 'list'] }, (old) => {
    if (!old) return old;
    const hosts = old.hosts.filter((h) => !gone.has(h.id));
    return { ...old, hosts, total: Math.max(0, old.total - (old.hosts.length - hosts.length)) };
  });
}
