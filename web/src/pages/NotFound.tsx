import { Link, useLocation } from 'react-router';
import { usePageTitle } from '../usePageTitle';

export default function NotFound() {
  usePageTitle('Page not found');
  const { pathname } = useLocation();
  return (
    <div className="mx-auto max-w-lg py-16 text-center">
      <p className="text-sm font-semibold text-blue-600 dark:text-blue-400">404</p>
      <h1 className="mt-2 text-2xl font-semibold tracking-tight">Page not found</h1>
      <p className="mt-3 text-sm break-words text-slate-600 dark:text-slate-400">
        There is no page at <code className="rounded bg-slate-100 px-1 py-0.5 dark:bg-slate-800">{pathname}</code>. It may have
        moved, or the link may be mistyped.
      </p>
      <Link
        to="/"
        className="mt-6 inline-block rounded-md bg-blue-600 px-4 py-2 text-sm font-medium text-white hover:bg-blue-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500"
      >
        Back to the dashboard
      </Link>
    </div>
  );
}
