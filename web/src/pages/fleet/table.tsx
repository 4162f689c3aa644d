import { useEffect, useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Button } from '../../components/forms';

/**
 * List state kept in the URL (page, sort, order, search and filters), so a view can be
 * bookmarked, shared and restored with the back button.
 */
export function useListParams() {
  const [params, setParams] = useSearchParams();
  const raw = Number(params.get('page') ?? '1');
  const page = Number.isInteger(raw) && raw > 0 ? raw : 1;
  const update = (changes: Record<string, string | undefined>) => {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const [key, value] of Object.entries(changes)) {
          if (value) next.set(key, value);
          else next.delete(key);
        }
        // Any change but the page itself starts again from the first page.
        if (!('page' in changes)) next.delete('page');
        return next;
      },
      { replace: !('page' in changes) },
    );
  };
  return { params, page, get: (key: string) => params.get(key) ?? '', update, clear: () => setParams(new URLSearchParams(), { replace: true }) };
}

/** The next sort state when a column header is clicked: the same column flips, a new one starts at its default. */
export function nextSort(current: { sort: string; order: string }, column: string, defaultOrder: 'asc' | 'desc') {
  if (current.sort === column) {
    const order = (current.order || defaultOrder) === 'asc' ? 'desc' : 'asc';
    return { sort: column, order };
  }
  return { sort: column, order: defaultOrder };
}

/** A search box that reports its text after a pause in typing. */
export function SearchBox({ label, value, onSearch, placeholder }: { label: string; value: string; onSearch: (text: string) => void; placeholder?: string }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const wanted = text.trim();
  useEffect(() => {
    if (wanted === value) return;
    const timer = window.setTimeout(() => onSearch(wanted), 300);
    return () => window.clearTimeout(timer);
    // onSearch wraps setParams, which is stable.
  }, [wanted, value]);
  return (
    <label className="block text-sm font-medium">
      {label}
      <input
        type="search"
        value={text}
        placeholder={placeholder}
        onChange={(e) => setText(e.target.value)}
        className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm placeholder:text-slate-400 focus:border-blue-500 focus:ring-2 focus:ring-blue-500/30 focus:outline-none dark:border-slate-700 dark:bg-slate-950"
      />
    </label>
  );
}

export interface Column {
  label: string;
  /** The API's sort key; absent for columns that cannot be sorted. */
  sort?: string;
  /** The order a first click on the column asks for. */
  defaultOrder?: 'asc' | 'desc';
  className?: string;
}

/** A table with sortable headers (buttons that say their state to assistive technology). */
export function DataTable({
  caption,
  columns,
  sort,
  order,
  onSort,
  children,
  minWidth = '48rem',
}: {
  caption: string;
  columns: Column[];
  sort?: string;
  order?: string;
  onSort?: (column: Column) => void;
  children: ReactNode;
  minWidth?: string;
}) {
  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <table className="w-full text-left text-sm" style={{ minWidth }}>
        <caption className="sr-only">{caption}</caption>
        <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-950 dark:text-slate-400">
          <tr>
            {columns.map((c) => {
              const active = c.sort !== undefined && c.sort === sort;
              const dir = active ? (order === 'desc' ? 'descending' : 'ascending') : undefined;
              return (
                <th key={c.label} scope="col" aria-sort={dir} className={`px-4 py-3 font-semibold ${c.className ?? ''}`}>
                  {c.sort && onSort ? (
                    <button
                      type="button"
                      onClick={() => onSort(c)}
                      className="inline-flex items-center gap-1 uppercase hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-blue-500 dark:hover:text-white"
                    >
                      {c.label}
                      <span aria-hidden="true">{active ? (order === 'desc' ? '▼' : '▲') : '↕'}</span>
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200 dark:divide-slate-800">{children}</tbody>
      </table>
    </div>
  );
}

/** "1–50 of 312" with previous/next buttons. */
export function Pager({ label, page, pageSize, total, onPage }: { label: string; page: number; pageSize: number; total: number; onPage: (page: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return (
    <nav aria-label={label} className="mt-4 flex flex-wrap items-center justify-between gap-3 text-sm">
      <p>
        {first}–{last} of {total}
      </p>
      <div className="flex items-center gap-2">
        <Button size="sm" disabled={page <= 1} onClick={() => onPage(page - 1)}>
          Previous
        </Button>
        <span>
          Page {page} of {pages}
        </span>
        <Button size="sm" disabled={page >= pages} onClick={() => onPage(page + 1)}>
          Next
        </Button>
      </div>
    </nav>
  );
}

type Tone = 'red' | 'amber' | 'green' | 'slate' | 'blue';

const tones: Record<Tone, string> = {
  red: 'bg-rose-100 text-rose-800 dark:bg-rose-900 dark:text-rose-100',
  amber: 'bg-amber-100 text-amber-800 dark:bg-amber-900 dark:text-amber-100',
  green: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100',
  slate: 'bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-200',
  blue: 'bg-blue-100 text-blue-800 dark:bg-blue-900 dark:text-blue-100',
};

export function Badge({ tone, children }: { tone: Tone; children: ReactNode }) {
  return <span className={`inline-block rounded-full px-2 py-0.5 text-xs font-semibold whitespace-nowrap ${tones[tone]}`}>{children}</span>;
}

/** A host's status as a badge. */
export function HostStatus({ status }: { status: string }) {
  const tone: Tone = status === 'active' ? 'green' : status === 'offline' ? 'red' : 'slate';
  return <Badge tone={tone}>{status.charAt(0).toUpperCase() + status.slice(1)}</Badge>;
}

/** A link to a host's detail page. */
export function HostLink({ id, name }: { id: string; name: string }) {
  return (
    <Link to={`/hosts/${id}`} className="font-medium text-blue-700 hover:underline dark:text-blue-300">
      {name}
    </Link>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="text-sm text-slate-500">
      Loading {what}…
    </p>
  );
}

/** A label/value summary tile. */
export function Stat({ label, value, tone }: { label: string; value: ReactNode; tone?: 'red' | 'amber' | 'green' }) {
  const color = tone === 'red' ? 'text-rose-700 dark:text-rose-300' : tone === 'amber' ? 'text-amber-700 dark:text-amber-300' : tone === 'green' ? 'text-emerald-700 dark:text-emerald-300' : '';
  return (
    <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <dt className="text-xs font-semibold text-slate-500 uppercase dark:text-slate-400">{label}</dt>
      <dd className={`mt-1 text-2xl font-semibold ${color}`}>{value}</dd>
    </div>
  );
}
