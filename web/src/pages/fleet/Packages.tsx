import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, Route, Routes, useParams } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { useAuth } from '../../auth/AuthProvider';
import { EmptyState } from '../../components/EmptyState';
import { Button, Checkbox, FormError, SelectField } from '../../components/forms';
import { PackagesIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { formatDateTime } from '../../format';
import NotFound from '../NotFound';
import { usePageTitle } from '../../usePageTitle';
import { Badge, DataTable, HostLink, HostStatus, Loading, Pager, SearchBox, Stat, nextSort, useListParams, type Column } from './table';

type FleetPackage = Schemas['FleetPackage'];
type PackageSort = NonNullable<NonNullable<import('../../api/schema').operations['listPackages']['parameters']['query']>['sort']>;

export const PAGE_SIZE = 50;

const SORTS: readonly string[] = ['name', 'category', 'hosts', 'updates', 'security'];

/** The list query the URL describes. */
export function packageQuery(get: (key: string) => string, page: number) {
  const sort = SORTS.includes(get('sort')) ? (get('sort') as PackageSort) : undefined;
  const order = get('order') === 'asc' || get('order') === 'desc' ? (get('order') as 'asc' | 'desc') : undefined;
  return {
    search: get('search') || undefined,
    category: get('category') || undefined,
    needs_update: get('updates') === '1' ? true : undefined,
    security_only: get('security') === '1' ? true : undefined,
    sort,
    order,
    limit: PAGE_SIZE,
    offset: (page - 1) * PAGE_SIZE,
  };
}

/** The export link for the current filters (same origin, so the session cookie goes along). */
export function exportHref(format: 'csv' | 'json', needsUpdate: boolean, securityOnly: boolean): string {
  const q = new URLSearchParams({ format });
  if (needsUpdate) q.set('needs_update', 'true');
  if (securityOnly) q.set('security_only', 'true');
  return `/api/v1/packages/export?${q}`;
}

export default function PackagesSection() {
  return (
    <Routes>
      <Route index element={<PackageList />} />
      <Route path=":packageId" element={<PackageDetail />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}

const columns: Column[] = [
  { label: 'Package', sort: 'name', defaultOrder: 'asc' },
  { label: 'Category', sort: 'category', defaultOrder: 'asc' },
  { label: 'Latest version' },
  { label: 'Installed on', sort: 'hosts', defaultOrder: 'desc', className: 'text-right' },
  { label: 'Needs update', sort: 'updates', defaultOrder: 'desc', className: 'text-right' },
  { label: 'Security', sort: 'security', defaultOrder: 'desc', className: 'text-right' },
];

function PackageList() {
  usePageTitle('Packages');
  const { can } = useAuth();
  const list = useListParams();
  const query = packageQuery(list.get, list.page);
  const packages = useQuery({
    queryKey: ['packages', query],
    queryFn: async ({ signal }) => unwrap(await api.GET('/packages', { signal, params: { query } })),
    placeholderData: keepPreviousData,
  });
  const filtering = Boolean(query.search || query.category || query.needs_update || query.security_only);
  const sort = query.sort ?? 'name';
  const order = query.order ?? (sort === 'name' || sort === 'category' ? 'asc' : 'desc');
  const data = packages.data;

  return (
    <>
      <PageHeader
        title="Packages"
        description="Packages installed across the fleet, how many hosts need an update, and which updates fix security issues."
        actions={
          can('can_export_data') ? (
            <>
              <ExportLink href={exportHref('csv', Boolean(query.needs_update), Boolean(query.security_only))}>Export CSV</ExportLink>
              <ExportLink href={exportHref('json', Boolean(query.needs_update), Boolean(query.security_only))}>Export JSON</ExportLink>
            </>
          ) : undefined
        }
      />
      <form role="search" aria-label="Filter packages" onSubmit={(e) => e.preventDefault()} className="mb-4 grid items-end gap-3 sm:grid-cols-2 lg:grid-cols-4">
        <SearchBox label="Search" placeholder="Name or description" value={list.get('search')} onSearch={(search) => list.update({ search })} />
        <SelectField label="Category" value={list.get('category')} onChange={(e) => list.update({ category: e.target.value })}>
          <option value="">All categories</option>
          {data?.categories.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </SelectField>
        <Checkbox label="Needs an update" checked={list.get('updates') === '1'} onChange={(e) => list.update({ updates: e.target.checked ? '1' : '' })} />
        <Checkbox label="Security updates only" checked={list.get('security') === '1'} onChange={(e) => list.update({ security: e.target.checked ? '1' : '' })} />
      </form>
      {filtering && (
        <div className="mb-4">
          <Button size="sm" onClick={list.clear}>
            Clear filters
          </Button>
        </div>
      )}
      {packages.isPending && <Loading what="packages" />}
      {packages.isError && <FormError>{packages.error.message}</FormError>}
      {data && data.packages.length === 0 && (
        <EmptyState icon={PackagesIcon} title={filtering ? 'No package matches these filters.' : 'No packages yet.'}>
          <p>
            {filtering ? (
              'Clear a filter or search for something else.'
            ) : (
              <>
                Packages appear when agents report. <Link to="/hosts" className="text-blue-700 underline dark:text-blue-300">Add a host</Link> and install
                its agent; its packages show here after the first report.
              </>
            )}
          </p>
        </EmptyState>
      )}
      {data && data.packages.length > 0 && (
        <>
          <DataTable
            caption={`Packages, sorted by ${sort}`}
            columns={columns}
            sort={sort}
            order={order}
            onSort={(c) => list.update(nextSort({ sort, order }, c.sort!, c.defaultOrder ?? 'asc'))}
          >
            {data.packages.map((p) => (
              <PackageRow key={p.id} pkg={p} />
            ))}
          </DataTable>
          <Pager label="Package pages" page={list.page} pageSize={PAGE_SIZE} total={data.total} onPage={(page) => list.update({ page: String(page) })} />
        </>
      )}
    </>
  );
}

/**
 * A download link for the export. The browser fetches it directly (so the file streams to
 * disk), which bypasses the API client's session renewal: a cheap authenticated call first
 * renews an expired access token, then the download starts.
 */
function ExportLink({ href, children }: { href: string; children: string }) {
  return (
    <a
      href={href}
      download
      onClick={(e) => {
        e.preventDefault();
        void api.GET('/auth/profile').finally(() => window.location.assign(href));
      }}
      className="inline-flex items-center rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-blue-500 dark:border-slate-700 dark:bg-slate-900 dark:hover:bg-slate-800"
    >
      {children}
    </a>
  );
}

function PackageRow({ pkg }: { pkg: FleetPackage }) {
  return (
    <tr>
      <td className="px-4 py-2.5">
        <Link to={`/packages/${pkg.id}`} className="font-medium text-blue-700 hover:underline dark:text-blue-300">
          {pkg.name}
        </Link>
        {pkg.description && <span className="block max-w-md truncate text-xs text-slate-500 dark:text-slate-400">{pkg.description}</span>}
      </td>
      <td className="px-4 py-2.5">{pkg.category || '—'}</td>
      <td className="px-4 py-2.5 font-mono text-xs">{pkg.latest_version || '—'}</td>
      <td className="px-4 py-2.5 text-right">{pkg.hosts_count}</td>
      <td className="px-4 py-2.5 text-right">{pkg.outdated_hosts_count > 0 ? <Badge tone="amber">{pkg.outdated_hosts_count}</Badge> : '0'}</td>
      <td className="px-4 py-2.5 text-right">
        {pkg.security_hosts_count > 0 ? <Badge tone="red">{pkg.security_hosts_count} security</Badge> : '0'}
      </td>
    </tr>
  );
}

const HOSTS_PAGE = 50;

function PackageDetail() {
  const { packageId = '' } = useParams();
  const list = useListParams();
  const detail = useQuery({
    queryKey: ['package', packageId],
    queryFn: async ({ signal }) => unwrap(await api.GET('/packages/{packageId}', { signal, params: { path: { packageId } } })),
  });
  usePageTitle(detail.data ? `Package ${detail.data.name}` : 'Package');
  const hostQuery = {
    search: list.get('search') || undefined,
    needs_update: list.get('updates') === '1' ? true : undefined,
    sort: list.get('sort') === 'name' ? ('name' as const) : undefined,
    limit: HOSTS_PAGE,
    offset: (list.page - 1) * HOSTS_PAGE,
  };
  const hosts = useQuery({
    queryKey: ['package', packageId, 'hosts', hostQuery],
    queryFn: async ({ signal }) =>
      unwrap(await api.GET('/packages/{packageId}/hosts', { signal, params: { path: { packageId }, query: hostQuery } })),
    placeholderData: keepPreviousData,
    enabled: detail.isSuccess,
  });

  if (detail.isPending) return <Loading what="the package" />;
  if (detail.isError) {
    return (
      <>
        <PageHeader title="Package" />
        <FormError>{detail.error.message}</FormError>
        <p className="mt-4 text-sm">
          <Link to="/packages" className="text-blue-700 underline dark:text-blue-300">
            Back to packages
          </Link>
        </p>
      </>
    );
  }
  const p = detail.data;
  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm">
        <Link to="/packages" className="text-blue-700 hover:underline dark:text-blue-300">
          Packages
        </Link>{' '}
        / {p.name}
      </nav>
      <PageHeader title={p.name} description={p.description || undefined} />
      <dl className="mb-6 grid gap-3 sm:grid-cols-2 lg:grid-cols-5">
        <Stat label="Installed on" value={p.hosts_count} />
        <Stat label="Up to date" value={p.up_to_date_hosts_count} tone="green" />
        <Stat label="Need an update" value={p.outdated_hosts_count} tone={p.outdated_hosts_count > 0 ? 'amber' : undefined} />
        <Stat label="Security updates" value={p.security_hosts_count} tone={p.security_hosts_count > 0 ? 'red' : undefined} />
        <Stat label="Latest version" value={<span className="font-mono text-base">{p.latest_version || '—'}</span>} />
      </dl>
      {p.versions.length > 0 && (
        <section aria-labelledby="versions-heading" className="mb-6">
          <h2 id="versions-heading" className="mb-2 text-base font-semibold">
            Installed versions
          </h2>
          <ul className="flex flex-wrap gap-2 text-sm">
            {p.versions.map((v) => (
              <li key={v.version} className="rounded-md border border-slate-200 bg-white px-2.5 py-1 dark:border-slate-800 dark:bg-slate-900">
                <span className="font-mono">{v.version}</span> <span className="text-slate-500">× {v.count}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <h2 className="mb-2 text-base font-semibold">Hosts with {p.name}</h2>
      <form role="search" aria-label="Filter hosts" onSubmit={(e) => e.preventDefault()} className="mb-4 grid items-end gap-3 sm:grid-cols-3">
        <SearchBox label="Search hosts" placeholder="Name, hostname or version" value={list.get('search')} onSearch={(search) => list.update({ search })} />
        <Checkbox label="Needs an update" checked={list.get('updates') === '1'} onChange={(e) => list.update({ updates: e.target.checked ? '1' : '' })} />
        <SelectField label="Order" value={list.get('sort')} onChange={(e) => list.update({ sort: e.target.value })}>
          <option value="">Security updates first</option>
          <option value="name">By name</option>
        </SelectField>
      </form>
      {hosts.isPending && <Loading what="hosts" />}
      {hosts.isError && <FormError>{hosts.error.message}</FormError>}
      {hosts.data && hosts.data.hosts.length === 0 && (
        <EmptyState icon={PackagesIcon} title="No host matches.">
          <p>Clear the search or the update filter to see every host with this package.</p>
        </EmptyState>
      )}
      {hosts.data && hosts.data.hosts.length > 0 && (
        <>
          <DataTable
            caption={`Hosts with ${p.name}`}
            columns={[{ label: 'Host' }, { label: 'Status' }, { label: 'Installed' }, { label: 'Available' }, { label: 'Update' }, { label: 'Last checked' }]}
          >
            {hosts.data.hosts.map((h) => (
              <tr key={h.id}>
                <td className="px-4 py-2.5">
                  <HostLink id={h.id} name={h.friendly_name} />
                  <span className="block text-xs text-slate-500 dark:text-slate-400">{[h.hostname, h.os_type && `${h.os_type} ${h.os_version ?? ''}`].filter(Boolean).join(' · ')}</span>
                </td>
                <td className="px-4 py-2.5">
                  <HostStatus status={h.status} />
                </td>
                <td className="px-4 py-2.5 font-mono text-xs">{h.current_version}</td>
                <td className="px-4 py-2.5 font-mono text-xs">{h.available_version ?? '—'}</td>
                <td className="px-4 py-2.5">
                  {h.is_security_update ? <Badge tone="red">Security update</Badge> : h.needs_update ? <Badge tone="amber">Update</Badge> : <Badge tone="green">Up to date</Badge>}
                </td>
                <td className="px-4 py-2.5 whitespace-nowrap">{formatDateTime(h.last_checked)}</td>
              </tr>
            ))}
          </DataTable>
          <Pager label="Host pages" page={list.page} pageSize={HOSTS_PAGE} total={hosts.data.total} onPage={(page) => list.update({ page: String(page) })} />
        </>
      )}
    </>
  );
}
