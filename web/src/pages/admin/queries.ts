import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../../api/client';

export type Role = Schemas['Role'];
export type RoleMatrix = Schemas['RoleMatrix'];

export const rolesQueryKey = ['roles'] as const;
export const usersQueryKey = ['users'] as const;

/** Built-in roles from most to least privileged; custom roles follow by name. */
const BUILTIN_ORDER = ['superadmin', 'admin', 'host_manager', 'user', 'readonly'];

export function sortRoles(roles: Role[]): Role[] {
  const rank = (r: Role) => {
    const i = BUILTIN_ORDER.indexOf(r.name);
    return i < 0 ? BUILTIN_ORDER.length : i;
  };
  return [...roles].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/** GET /permissions/roles: every role with its permissions, and every permission. */
export function useRoleMatrix(enabled = true) {
  return useQuery({
    queryKey: rolesQueryKey,
    queryFn: async ({ signal }) => {
      const matrix = unwrap(await api.GET('/permissions/roles', { signal }));
      return { ...matrix, roles: sortRoles(matrix.roles) };
    },
    enabled,
    staleTime: 30_000,
  });
}

/** The role that always holds every permission; its column is not editable. */
export const SUPERADMIN = 'superadmin';

/** The roles whose permissions differ from what the server has (role name → permissions). */
export function changedRoles(roles: Role[], draft: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const role of roles) {
    const next = draft[role.name];
    if (!next) continue;
    const before = new Set(role.permissions);
    if (next.length !== before.size || next.some((p) => !before.has(p))) out[role.name] = next;
  }
  return out;
}

/** Adds or removes a permission in a role's list, keeping the catalogue order. */
export function togglePermission(current: string[], permission: string, on: boolean, order: string[]): string[] {
  const set = new Set(current);
  if (on) set.add(permission);
  else set.delete(permission);
  const rank = new Map(order.map((p, i) => [p, i]));
  return [...set].sort((a, b) => (rank.get(a) ?? Infinity) - (rank.get(b) ?? Infinity) || a.localeCompare(b));
}
