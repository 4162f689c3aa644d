import { useCallback, useEffect, useId, useRef, useState, type CSSProperties } from 'react';
import { ChevronDownIcon } from './icons';
import { useDismiss } from './useDismiss';

export interface Action {
  label: string;
  onSelect: () => void;
  danger?: boolean;
}

/** A "More" button that discloses a short list of actions for one row of a table. */
export function ActionMenu({ label, actions }: { label: string; actions: Action[] }) {
  const [open, setOpen] = useState(false);
  const [position, setPosition] = useState<CSSProperties>({});
  const id = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useDismiss(open, close, root, button);

  // Tables scroll sideways inside their own box, which would clip an absolutely placed
  // list; a fixed one placed under the button is never clipped. Scrolling closes it.
  useEffect(() => {
    if (!open) return;
    window.addEventListener('scroll', close, true);
    window.addEventListener('resize', close);
    return () => {
      window.removeEventListener('scroll', close, true);
      window.removeEventListener('resize', close);
    };
  }, [open, close]);

  const toggle = () => {
    const rect = button.current?.getBoundingClientRect();
    if (rect) {
      const below = window.innerHeight - rect.bottom > 240;
      setPosition({
        right: Math.max(8, window.innerWidth - rect.right),
        ...(below ? { top: rect.bottom + 4 } : { bottom: window.innerHeight - rect.top + 4 }),
      });
    }
    setOpen((o) => !o);
  };

  if (actions.length === 0) return null;
  return (
    <div ref={root}>
      <button
        ref={button}
        type="button"
        aria-label={label}
        aria-expanded={open}
        aria-controls={id}
        onClick={toggle}
        className="inline-flex items-center gap-1 rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-xs font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500 dark:border-slate-700 dark:bg-slate-900 dark:hover:bg-slate-800"
      >
        More
        <ChevronDownIcon className="h-3.5 w-3.5" />
      </button>
      {open && (
        <ul
          id={id}
          style={position}
          className="fixed z-30 w-52 rounded-lg border border-slate-200 bg-white p-1 shadow-lg dark:border-slate-700 dark:bg-slate-900"
        >
          {actions.map((action) => (
            <li key={action.label}>
              <button
                type="button"
                onClick={() => {
                  setOpen(false);
                  action.onSelect();
                }}
                className={`block w-full rounded-md px-3 py-2 text-left text-sm hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-blue-500 dark:hover:bg-slate-800 ${
                  action.danger ? 'text-rose-700 dark:text-rose-300' : ''
                }`}
              >
                {action.label}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
