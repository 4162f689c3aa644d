import { NavLink, Route, Routes } from 'react-router';
import { PageHeader } from '../../components/PageHeader';
import { usePageTitle } from '../../usePageTitle';
import NotFound from '../NotFound';
import { AccountTab } from './AccountTab';
import { SecurityTab } from './SecurityTab';
import { SessionsTab } from './SessionsTab';

const tabs = [
  { to: '/profile', label: 'Account', end: true },
  { to: '/profile/security', label: 'Password & 2FA', end: false },
  { to: '/profile/sessions', label: 'Sessions & devices', end: false },
];

export default function Profile() {
  usePageTitle('Profile');
  return (
    <>
      <PageHeader title="Your profile" description="Your account details, sign-in security and where you are signed in." />
      <nav aria-label="Profile sections" className="mb-6 overflow-x-auto border-b border-slate-200 dark:border-slate-800">
        <ul className="flex gap-1">
          {tabs.map((tab) => (
            <li key={tab.to}>
              <NavLink
                to={tab.to}
                end={tab.end}
                className={({ isActive }) =>
                  `-mb-px block border-b-2 px-3 py-2 text-sm font-medium whitespace-nowrap focus-visible:outline-2 focus-visible:outline-blue-500 ${
                    isActive
                      ? 'border-blue-600 text-blue-700 dark:border-blue-400 dark:text-blue-300'
                      : 'border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white'
                  }`
                }
              >
                {tab.label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <Routes>
        <Route index element={<AccountTab />} />
        <Route path="security" element={<SecurityTab />} />
        <Route path="sessions" element={<SessionsTab />} />
        <Route path="*" element={<NotFound />} />
      </Routes>
    </>
  );
}
