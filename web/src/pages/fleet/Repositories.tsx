import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, Route, Routes, useNavigate, useParams } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { useAuth } from '../../auth/AuthProvider';
import { ConfirmDialog } from '../../components/Dialog';
import { EmptyState } from '../../components/EmptyState';
import { Button, FormError, SelectField } from '../../components/forms';
import { RepositoriesIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { useToast } from '../../components/Toasts';
import { formatDateTime } from '../../format';
import { usePageTitle } from '../../usePageTitle';
import NotFound from '../NotFound';
import { Badge, DataTable, HostLink, HostStatus, Loading, Pager, SearchBox, Stat, nextSort, useListParams, type Column } from './table';

type Repository = Schemas['Repository'];

const PAGE_SIZE = 50;

export default function RepositoriesSection() {
  return (
    <Routes>
      <Route index element={<RepositoryList />} />
      <Route path=":repositoryId" element={<RepositoryDetail />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}

function boolParam(v: string): boolean | undefined {
  return v === 'true' ? true : v === 'false' ? false : undefined;
}

const columns: Column[] = [
  { label: 'Repository', sort: 'name', defaultOrder: 'asc' },
  { label: 'URL', sort: 'url', defaultOrder: 'asc' },
  { label: 'Distribution' },
  { label: 'Security' },
  { label: 'Status' },
  { label: 'Hosts', sort: 'hosts', defaultOrder: 'desc', className: 'text-right' },
];

function RepositoryList() {
  usePageTitle('Repositories');
  const list = useListParams();
  const sort = (['name', 'url', 'hosts'] as const).find((s) => s === list.get('sort')) ?? 'name';
  const order = list.get('order') === 'asc' || list.get('order') === 'desc' ? (list.get('order') as 'asc' | 'desc') : sort === 'hosts' ? 'desc' : 'asc';
  const query = {
    search: list.get('search') || undefined,
    secure: boolParam(list.get('secure')),
    active: boolParam(list.get('active')),
    sort,
    order,
    limit: PAGE_SIZE,
    offset: (list.page - 1) * PAGE_SIZE,
  };
  const repos = useQuery({
    queryKey: ['repositories', query],
    queryFn: async ({ signal }) => unwrap(await api.GET('/repositories', { signal, params: { query } })),
    placeholderData: keepPreviousData,
  });
  const filtering = Boolean(query.search || query.secure !== undefined || query.active !== undefined);
  const data = repos.data;
  return (
    <>
      <PageHeader title="Repositories" description="The package repositories your hosts use, whether they are served securely, and which hosts use each one." />
      <form role="search" aria-label="Filter repositories" onSubmit={(e) => e.preventDefault()} className="mb-4 grid items-end gap-3 sm:grid-cols-3">
        <SearchBox label="Search" placeholder="Name, URL or distribution" value={list.get('search')} onSearch={(search) => list.update({ search })} />
        <SelectField label="Security" value={list.get('secure')} onChange={(e) => list.update({ secure: e.target.value })}>
          <option value="">Secure and insecure</option>
          <option value="true">Secure (HTTPS)</option>
          <option value="false">Insecure (HTTP)</option>
        </SelectField>
        <SelectField label="Status" value={list.get('active')} onChange={(e) => list.update({ active: e.target.value })}>
          <option value="">Enabled and disabled</option>
          <option value="true">Enabled</option>
          <option value="false">Disabled</option>
        </SelectField>
      </form>
      {filtering && (
        <div className="mb-4">
          <Button size="sm" onClick={list.clear}>
            Clear filters
          </Button>
        </div>
      )}
      {repos.isPending && <Loading what="repositories" />}
      {repos.isError && <FormError>{repos.error.message}</FormError>}
      {data && data.repositories.length === 0 && (
        <EmptyState icon={RepositoriesIcon} title={filtering ? 'No repository matches these filters.' : 'No repositories yet.'}>
          <p>
            {filtering ? (
              'Clear a filter or search for something else.'
            ) : (
              <>
                Agents report the repositories configured on their host. <Link to="/hosts" className="text-blue-700 underline dark:text-blue-300">Add a host</Link>{' '}
                and install its agent to see them here.
              </>
            )}
          </p>
        </EmptyState>
      )}
      {data && data.repositories.length > 0 && (
        <>
          <DataTable
            caption={`Repositories, sorted by ${sort}`}
            columns={columns}
            sort={sort}
            order={order}
            onSort={(c) => list.update(nextSort({ sort, order }, c.sort!, c.defaultOrder ?? 'asc'))}
            minWidth="56rem"
          >
            {data.repositories.map((r) => (
              <tr key={r.id}>
                <td className="px-4 py-2.5">
                  <Link to={`/repositories/${r.id}`} className="font-medium text-blue-700 hover:underline dark:text-blue-300">
                    {r.name || r.url}
                  </Link>
                  {r.repo_type && <span className="block text-xs text-slate-500 dark:text-slate-400">{r.repo_type}</span>}
                </td>
                <td className="max-w-xs truncate px-4 py-2.5 font-mono text-xs" title={r.url}>
                  {r.url}
                </td>
                <td className="px-4 py-2.5">{[r.distribution, r.components].filter(Boolean).join(' ') || '—'}</td>
                <td className="px-4 py-2.5">
                  <SecureBadge repo={r} />
                </td>
                <td className="px-4 py-2.5">{r.is_active ? <Badge tone="green">Enabled</Badge> : <Badge tone="slate">Disabled</Badge>}</td>
                <td className="px-4 py-2.5 text-right">{r.hosts_count}</td>
              </tr>
            ))}
          </DataTable>
          <Pager label="Repository pages" page={list.page} pageSize={PAGE_SIZE} total={data.total} onPage={(page) => list.update({ page: String(page) })} />
        </>
      )}
    </>
  );
}

function SecureBadge({ repo }: { repo: Repository }) {
  return repo.is_secure ? <Badge tone="green">Secure</Badge> : <Badge tone="amber">Insecure</Badge>;
}

function RepositoryDetail() {
  const { repositoryId = '' } = useParams();
  const { can } = useAuth();
  const toast = useToast();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const list = useListParams();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const repo = useQuery({
    queryKey: ['repository', repositoryId],
    queryFn: async ({ signal }) => unwrap(await api.GET('/repositories/{repositoryId}', { signal, params: { path: { repositoryId } } })),
  });
  usePageTitle(repo.data ? `Repository ${repo.data.name || repo.data.url}` : 'Repository');
  const hostQuery = { search: list.get('search') || undefined, limit: PAGE_SIZE, offset: (list.page - 1) * PAGE_SIZE };
  const hosts = useQuery({
    queryKey: ['repository', repositoryId, 'hosts', hostQuery],
    queryFn: async ({ signal }) =>
      unwrap(await api.GET('/repositories/{repositoryId}/hosts', { signal, params: { path: { repositoryId }, query: hostQuery } })),
    placeholderData: keepPreviousData,
    enabled: repo.isSuccess,
  });
  const toggle = useMutation({
    mutationFn: async (active: boolean) =>
      unwrap(await api.PUT('/repositories/{repositoryId}', { params: { path: { repositoryId } }, body: { is_active: active } })),
    onSuccess: (r) => {
      queryClient.setQueryData(['repository', repositoryId], r);
      void queryClient.invalidateQueries({ queryKey: ['repositories'] });
      toast.show(`${r.name || r.url} is ${r.is_active ? 'enabled' : 'disabled'}.`, { kind: 'success' });
    },
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });
  const remove = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/repositories/{repositoryId}', { params: { path: { repositoryId } } })),
    onSuccess: (res) => {
      void queryClient.invalidateQueries({ queryKey: ['repositories'] });
      toast.show(`${res.repository.name || res.repository.url} is deleted.`, { kind: 'success' });
      navigate('/repositories');
    },
    onError: (err) => {
      setConfirmDelete(false);
      toast.show(err.message, { kind: 'error' });
    },
  });

  if (repo.isPending) return <Loading what="the repository" />;
  if (repo.isError) {
    return (
      <>
        <PageHeader title="Repository" />
        <FormError>{repo.error.message}</FormError>
        <p className="mt-4 text-sm">
          <Link to="/repositories" className="text-blue-700 underline dark:text-blue-300">
            Back to repositories
          </Link>
        </p>
      </>
    );
  }
  const r = repo.data;
  const manage = can('can_manage_packages');
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm">
        <Link to="/repositories" className="text-blue-700 hover:underline dark:text-blue-300">
          Repositories
        </Link>{' '}
        / {r.name || r.url}
      </nav>
      <PageHeader
        title={r.name || r.url}
        description={<span className="font-mono break-all">{[r.url, r.distribution, r.components].filter(Boolean).join(' ')}</span>}
        actions={
          manage ? (
            <>
              <Button busy={toggle.isPending} onClick={() => toggle.mutate(!r.is_active)}>
                {r.is_active ? 'Disable' : 'Enable'}
              </Button>
              <Button
                variant="danger"
                disabled={r.hosts_count > 0}
                title={r.hosts_count > 0 ? 'Hosts still use this repository; disable it instead.' : undefined}
                onClick={() => setConfirmDelete(true)}
              >
                Delete
              </Button>
            </>
          ) : undefined
        }
      />
      <dl className="mb-6 grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <Stat label="Hosts" value={r.hosts_count} />
        <Stat label="Enabled on" value={r.enabled_hosts_count} />
        <Stat label="Transport" value={r.is_secure ? 'HTTPS' : 'HTTP'} tone={r.is_secure ? 'green' : 'amber'} />
        <Stat label="Status" value={r.is_active ? 'Enabled' : 'Disabled'} />
      </dl>
      {manage && r.hosts_count > 0 && (
        <p className="mb-4 text-sm text-slate-600 dark:text-slate-400">
          Disabling keeps the repository listed but leaves it out of fleet counts. It can be deleted once no host reports it any more.
        </p>
      )}
      <h2 className="mb-2 text-base font-semibold">Hosts using this repository</h2>
      <form role="search" aria-label="Filter hosts" onSubmit={(e) => e.preventDefault()} className="mb-4 max-w-sm">
        <SearchBox label="Search hosts" placeholder="Name, hostname or IP" value={list.get('search')} onSearch={(search) => list.update({ search })} />
      </form>
      {hosts.isPending && <Loading what="hosts" />}
      {hosts.isError && <FormError>{hosts.error.message}</FormError>}
      {hosts.data && hosts.data.hosts.length === 0 && (
        <EmptyState icon={RepositoriesIcon} title={list.get('search') ? 'No host matches.' : 'No host uses this repository.'}>
          <p>{list.get('search') ? 'Clear the search to see every host.' : manage ? 'Nothing reports it any more, so it can be deleted.' : 'No agent reports it any more.'}</p>
        </EmptyState>
      )}
      {hosts.data && hosts.data.hosts.length > 0 && (
        <>
          <DataTable caption="Hosts using this repository" columns={[{ label: 'Host' }, { label: 'Status' }, { label: 'On this host' }, { label: 'Operating system' }, { label: 'Last report' }]}>
            {hosts.data.hosts.map((h) => (
              <tr key={h.id}>
                <td className="px-4 py-2.5">
                  <HostLink id={h.id} name={h.friendly_name} />
                  {h.hostname && <span className="block text-xs text-slate-500 dark:text-slate-400">{h.hostname}</span>}
                </td>
                <td className="px-4 py-2.5">
                  <HostStatus status={h.status} />
                </td>
                <td className="px-4 py-2.5">{h.is_enabled ? <Badge tone="green">Enabled</Badge> : <Badge tone="slate">Disabled</Badge>}</td>
                <td className="px-4 py-2.5">{[h.os_type, h.os_version].filter(Boolean).join(' ') || '—'}</td>
                <td className="px-4 py-2.5 whitespace-nowrap">{formatDateTime(h.last_update)}</td>
              </tr>
            ))}
          </DataTable>
          <Pager label="Host pages" page={list.page} pageSize={PAGE_SIZE} total={hosts.data.total} onPage={(page) => list.update({ page: String(page) })} />
        </>
      )}
      {confirmDelete && (
        <ConfirmDialog title={`Delete ${r.name || r.url}?`} confirmLabel="Delete repository" busy={remove.isPending} onConfirm={() => remove.mutate()} onClose={() => setConfirmDelete(false)}>
          <p className="text-sm">No host uses this repository any more. It is removed from the inventory; if an agent reports it again, it comes back.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
