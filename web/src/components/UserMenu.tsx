import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { displayName, initials, useAuth, useUser } from '../auth/AuthProvider';
import { AuditIcon, ChevronDownIcon, LogoutIcon, QueueIcon, UserIcon } from './icons';
import { useToast } from './Toasts';
import { useDismiss } from './useDismiss';

const itemClass =
  'flex w-full items-center gap-2 rounded-md px-3 py-2 text-left text-sm hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-blue-500 dark:hover:bg-slate-800';

/** The signed-in user in the header, opening their profile and sign-out (a disclosure menu). */
export function UserMenu() {
  const user = useUser();
  const { signOut, can } = useAuth();
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const menuId = useId();
  const rootRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const { pathname } = useLocation();

  useEffect(() => setOpen(false), [pathname]);

  const close = useCallback(() => setOpen(false), []);
  useDismiss(open, close, rootRef, buttonRef);

  const name = displayName(user);

  const doSignOut = async () => {
    setSigningOut(true);
    try {
      await signOut();
    } catch {
      toast.show('The server could not be told about the sign-out; this browser has forgotten the session anyway.', {
        kind: 'error',
      });
    }
  };

  return (
    <div ref={rootRef} className="relative">
      <button
        ref={buttonRef}
        type="button"
        aria-expanded={open}
        aria-controls={menuId}
        aria-label={`Account menu for ${name}`}
        onClick={() => setOpen((o) => !o)}
        className="flex items-center gap-2 rounded-md p-1 pr-2 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500 dark:hover:bg-slate-800"
      >
        {user.avatarUrl ? (
          <img src={user.avatarUrl} alt="" className="h-8 w-8 rounded-full object-cover" referrerPolicy="no-referrer" />
        ) : (
          <span
            aria-hidden="true"
            className="flex h-8 w-8 items-center justify-center rounded-full bg-blue-600 text-xs font-semibold text-white"
          >
            {initials(user)}
          </span>
        )}
        <span className="hidden max-w-40 truncate text-sm font-medium sm:block">{name}</span>
        <ChevronDownIcon className="h-4 w-4 text-slate-500" />
      </button>
      {open && (
        <div
          id={menuId}
          className="absolute right-0 z-40 mt-2 w-64 rounded-lg border border-slate-200 bg-white p-2 shadow-lg dark:border-slate-700 dark:bg-slate-900"
        >
          <div className="border-b border-slate-200 px-3 pt-1 pb-3 dark:border-slate-700">
            <p className="truncate text-sm font-semibold">{name}</p>
            <p className="truncate text-xs text-slate-500 dark:text-slate-400">{user.email}</p>
            <p className="mt-1 text-xs text-slate-500 dark:text-slate-400">
              Role: <span className="font-medium text-slate-700 dark:text-slate-200">{user.role}</span>
            </p>
          </div>
          <ul className="pt-2">
            <li>
              <Link to="/profile" className={itemClass}>
                <UserIcon className="h-4 w-4" />
                Profile
              </Link>
            </li>
            <li>
              <a href="/api/v1/api-docs" target="_blank" rel="noreferrer" className={itemClass}>
                <AuditIcon className="h-4 w-4" />
                API reference
              </a>
            </li>
            {can('can_manage_settings') && (
              <li>
                <a href="/admin/queues/" target="_blank" rel="noreferrer" className={itemClass}>
                  <QueueIcon className="h-4 w-4" />
                  Job queue dashboard
                </a>
              </li>
            )}
            <li>
              <button type="button" className={itemClass} onClick={() => void doSignOut()} disabled={signingOut}>
                <LogoutIcon className="h-4 w-4" />
                {signingOut ? 'Signing out…' : 'Sign out'}
              </button>
            </li>
          </ul>
        </div>
      )}
    </div>
  );
}
