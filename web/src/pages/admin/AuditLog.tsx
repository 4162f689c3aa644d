import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { EmptyState } from '../../components/EmptyState';
import { Button, FormError, SelectField, TextField } from '../../components/forms';
import { AuditIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { describeUserAgent, formatDateTime } from '../../format';
import { usePageTitle } from '../../usePageTitle';
import { usersQueryKey } from './queries';

type AuditEvent = Schemas['AuthAuditEvent'];

export const PAGE_SIZE = 50;

/**
 * Suggestions for the event filter: the families the server records, and the events an
 * administrator looks for most. The server accepts any name, or a prefix ending in a dot.
 */
const EVENT_SUGGESTIONS = [
  'auth.',
  'auth.login.',
  'auth.login.failure',
  'auth.login.locked',
  'tfa.',
  'tfa.verify.failure',
  'tfa.suspicious_activity',
  'user.',
  'role.',
  'settings.',
  'host.',
  'hosts.',
];

export interface AuditFilters {
  event: string;
  userId: string;
  success: '' | 'true' | 'false';
  from: string;
  to: string;
  page: number;
}

export function readFilters(params: URLSearchParams): AuditFilters {
  const success = params.get('success');
  const page = Number(params.get('page') ?? '1');
  return {
    event: params.get('event') ?? '',
    userId: params.get('userId') ?? '',
    success: success === 'true' || success === 'false' ? success : '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    page: Number.isInteger(page) && page > 0 ? page : 1,
  };
}

/** A datetime-local value ("2025-01-02T03:04") as the RFC 3339 time the API wants, in the browser's zone. */
export function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function auditQuery(filters: AuditFilters) {
  return {
    event: filters.event || undefined,
    userId: filters.userId || undefined,
    success: filters.success === '' ? undefined : filters.success === 'true',
    from: localToIso(filters.from),
    to: localToIso(filters.to),
    limit: PAGE_SIZE,
    offset: (filters.page - 1) * PAGE_SIZE,
  };
}

export default function AuditLog() {
  usePageTitle('Audit log');
  const [params, setParams] = useSearchParams();
  const filters = readFilters(params);

  const log = useQuery({
    queryKey: ['audit-log', filters],
    queryFn: async ({ signal }) => unwrap(await api.GET('/audit-log', { signal, params: { query: auditQuery(filters) } })),
    placeholderData: keepPreviousData,
  });
  const users = useQuery({
    queryKey: [...usersQueryKey, { search: '', role: '', active: '' }],
    queryFn: async ({ signal }) => unwrap(await api.GET('/auth/admin/users', { signal })),
    staleTime: 60_000,
  });

  const update = (changes: Partial<Record<keyof AuditFilters, string>>) => {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const [key, value] of Object.entries(changes)) {
          if (value) next.set(key, value);
          else next.delete(key);
        }
        // Any filter change starts again from the first page.
        if (!('page' in changes)) next.delete('page');
        return next;
      },
      { replace: !('page' in changes) },
    );
  };

  // The event box filters after a pause in typing, not on every key.
  const [eventText, setEventText] = useState(filters.event);
  const wantedEvent = eventText.trim();
  useEffect(() => {
    if (wantedEvent === filters.event) return;
    const timer = window.setTimeout(() => update({ event: wantedEvent }), 300);
    return () => window.clearTimeout(timer);
    // update only wraps setParams, which is stable, so it is left out of the dependencies.
  }, [wantedEvent, filters.event]);

  const total = log.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const first = total === 0 ? 0 : (filters.page - 1) * PAGE_SIZE + 1;
  const last = Math.min(total, filters.page * PAGE_SIZE);
  const filtering = Boolean(filters.event || filters.userId || filters.success || filters.from || filters.to);

  return (
    <>
      <PageHeader title="Audit log" description="Sign-ins, two-factor changes, and changes to users, roles and permissions, newest first." />

      <form
        role="search"
        aria-label="Filter the audit log"
        onSubmit={(e) => e.preventDefault()}
        className="mb-4 grid gap-3 sm:grid-cols-2 xl:grid-cols-5"
      >
        <TextField
          label="Event"
          list="audit-event-suggestions"
          placeholder="auth.login."
          hint="An event name, or a prefix ending in a dot."
          value={eventText}
          onChange={(e) => setEventText(e.target.value)}
        />
        <datalist id="audit-event-suggestions">
          {EVENT_SUGGESTIONS.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
        <SelectField label="User" value={filters.userId} onChange={(e) => update({ userId: e.target.value })}>
          <option value="">Everyone</option>
          {users.data?.users.map((u) => (
            <option key={u.id} value={u.id}>
              {u.username}
            </option>
          ))}
        </SelectField>
        <SelectField label="Result" value={filters.success} onChange={(e) => update({ success: e.target.value })}>
          <option value="">Successes and failures</option>
          <option value="true">Successes</option>
          <option value="false">Failures</option>
        </SelectField>
        <TextField label="From" type="datetime-local" value={filters.from} onChange={(e) => update({ from: e.target.value })} />
        <TextField label="To" type="datetime-local" value={filters.to} onChange={(e) => update({ to: e.target.value })} />
      </form>
      {filtering && (
        <div className="mb-4">
          <Button
            size="sm"
            onClick={() => {
              setEventText('');
              setParams(new URLSearchParams(), { replace: true });
            }}
          >
            Clear filters
          </Button>
        </div>
      )}

      {log.isPending && (
        <p role="status" className="text-sm text-slate-500">
          Loading the audit log…
        </p>
      )}
      {log.isError && <FormError>{log.error.message}</FormError>}
      {log.data && log.data.events.length === 0 && (
        <EmptyState icon={AuditIcon} title={filtering ? 'No entry matches these filters.' : 'The audit log is empty.'}>
          <p>{filtering ? 'Widen the time range or clear a filter.' : 'Sign-ins and administrative changes appear here as they happen.'}</p>
        </EmptyState>
      )}
      {log.data && log.data.events.length > 0 && (
        <>
          <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <table className="w-full min-w-[52rem] text-left text-sm">
              <caption className="sr-only">Audit log entries {first} to {last} of {total}</caption>
              <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-950 dark:text-slate-400">
                <tr>
                  {['Time', 'Event', 'Result', 'Actor', 'Target', 'From', 'Details'].map((h) => (
                    <th key={h} scope="col" className="px-4 py-3 font-semibold">
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
                {log.data.events.map((e) => (
                  <AuditRow key={e.id} event={e} />
                ))}
              </tbody>
            </table>
          </div>
          <nav aria-label="Audit log pages" className="mt-4 flex flex-wrap items-center justify-between gap-3 text-sm">
            <p>
              {first}–{last} of {total}
            </p>
            <div className="flex items-center gap-2">
              <Button size="sm" disabled={filters.page <= 1} onClick={() => update({ page: String(filters.page - 1) })}>
                Newer
              </Button>
              <span>
                Page {filters.page} of {pages}
              </span>
              <Button size="sm" disabled={filters.page >= pages} onClick={() => update({ page: String(filters.page + 1) })}>
                Older
              </Button>
            </div>
          </nav>
        </>
      )}
    </>
  );
}

function AuditRow({ event }: { event: AuditEvent }) {
  const details = Object.entries(event.details ?? {});
  const target = [event.targetType, event.targetName || event.targetId].filter(Boolean).join(': ');
  return (
    <tr className="align-top">
      <td className="px-4 py-2.5 whitespace-nowrap">
        <time dateTime={event.createdAt}>{formatDateTime(event.createdAt)}</time>
      </td>
      <td className="px-4 py-2.5 font-mono text-xs">{event.event}</td>
      <td className="px-4 py-2.5">
        <span
          className={`rounded-full px-2 py-0.5 text-xs font-semibold ${
            event.success
              ? 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100'
              : 'bg-rose-100 text-rose-800 dark:bg-rose-900 dark:text-rose-100'
          }`}
        >
          {event.success ? 'Success' : 'Failure'}
        </span>
      </td>
      <td className="px-4 py-2.5">{event.actorUsername || '—'}</td>
      <td className="px-4 py-2.5">{target || '—'}</td>
      <td className="px-4 py-2.5">
        <span className="block">{event.ipAddress || '—'}</span>
        {event.userAgent && <span className="block text-xs text-slate-500 dark:text-slate-400">{describeUserAgent(event.userAgent)}</span>}
      </td>
      <td className="px-4 py-2.5">
        {details.length === 0 ? (
          '—'
        ) : (
          <dl className="grid grid-cols-[auto_1fr] gap-x-2 text-xs">
            {details.map(([key, value]) => (
              <div key={key} className="contents">
                <dt className="text-slate-500 dark:text-slate-400">{key}</dt>
                <dd className="break-all">{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
              </div>
            ))}
          </dl>
        )}
      </td>
    </tr>
  );
}
