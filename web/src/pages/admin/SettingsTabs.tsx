import { NavLink } from 'react-router';

const tabs = [
  { to: '/settings', label: 'General', end: true },
  { to: '/settings/integrations', label: 'Integrations', end: false },
  { to: '/settings/notifications', label: 'Notifications', end: false },
];

/** The sub-pages of Settings, as links so each one has its own URL. */
export function SettingsTabs() {
  return (
    <nav aria-label="Settings sections" className="mb-6 flex gap-1 border-b border-slate-200 dark:border-slate-800">
      {tabs.map((t) => (
        <NavLink
          key={t.to}
          to={t.to}
          end={t.end}
          className={({ isActive }) =>
            `-mb-px border-b-2 px-3 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-blue-500 ${
              isActive
                ? 'border-blue-600 text-blue-700 dark:border-blue-400 dark:text-blue-300'
                : 'border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white'
            }`
          }
        >
          {t.label}
        </NavLink>
      ))}
    </nav>
  );
}
