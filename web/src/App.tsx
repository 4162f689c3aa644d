import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense, useState, type ReactNode } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { ApiError } from './api/client';
import { AuthProvider } from './auth/AuthProvider';
import { FullPageStatus, RequireAuth, RequirePermission } from './auth/guards';
import { ErrorBoundary } from './components/ErrorBoundary';
import { Layout } from './components/Layout';
import { ToastProvider } from './components/Toasts';
import { sections } from './nav';
import { ThemeProvider } from './theme';

// Each page is its own chunk, so the dashboard's first load carries only the shell.
const Dashboard = lazy(() => import('./pages/Dashboard'));
const UpcomingSection = lazy(() => import('./pages/UpcomingSection'));
const NotFound = lazy(() => import('./pages/NotFound'));
const Login = lazy(() => import('./pages/auth/Login'));
const Setup = lazy(() => import('./pages/auth/Setup'));
const Signup = lazy(() => import('./pages/auth/Signup'));
const Profile = lazy(() => import('./pages/profile/Profile'));
const Users = lazy(() => import('./pages/admin/Users'));
const Roles = lazy(() => import('./pages/admin/Roles'));
const AuditLog = lazy(() => import('./pages/admin/AuditLog'));
const Settings = lazy(() => import('./pages/admin/Settings'));
const Integrations = lazy(() => import('./pages/admin/Integrations'));
const Notifications = lazy(() => import('./pages/admin/Notifications'));
const ScheduledReports = lazy(() => import('./pages/reports/ScheduledReports'));
const Packages = lazy(() => import('./pages/fleet/Packages'));
const Repositories = lazy(() => import('./pages/fleet/Repositories'));
const HostGroups = lazy(() => import('./pages/fleet/HostGroups'));
const Alerts = lazy(() => import('./pages/alerts/Alerts'));
const Jobs = lazy(() => import('./pages/admin/Jobs'));
const Hosts = lazy(() => import('./pages/hosts/HostsPage'));

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      // A 4xx will not change by asking again; a network error or 5xx might.
      queries: { staleTime: 10_000, retry: (count, err) => count < 1 && !(err instanceof ApiError && err.status < 500) },
    },
  });
}

/** Pages that have shipped, by section path; the others show their "arrives with" state. */
const pages: Record<string, ReactNode> = {
  '/hosts': <Hosts />,
  '/users': <Users />,
  '/roles': <Roles />,
  '/audit-log': <AuditLog />,
  '/settings': <Settings />,
  '/scheduled-reports': <ScheduledReports />,
  '/packages': <Packages />,
  '/repositories': <Repositories />,
  '/host-groups': <HostGroups />,
  '/alerts': <Alerts />,
  '/jobs': <Jobs />,
};

function PublicPage({ children }: { children: ReactNode }) {
  return <Suspense fallback={<FullPageStatus title="Loading…" busy />}>{children}</Suspense>;
}

export function AppRoutes() {
  return (
    <AuthProvider>
      <Routes>
        <Route path="/login" element={<PublicPage><Login /></PublicPage>} />
        <Route path="/setup" element={<PublicPage><Setup /></PublicPage>} />
        <Route path="/signup" element={<PublicPage><Signup /></PublicPage>} />
        <Route
          element={
            <RequireAuth>
              <Layout />
            </RequireAuth>
          }
        >
          <Route
            index
            element={
              <RequirePermission permission="can_view_dashboard">
                <Dashboard />
              </RequirePermission>
            }
          />
          <Route path="profile/*" element={<Profile />} />
          <Route
            path="settings/integrations"
            element={
              <RequirePermission permission="can_manage_settings">
                <Integrations />
              </RequirePermission>
            }
          />
          <Route
            path="settings/notifications"
            element={
              <RequirePermission permission="can_manage_alerts">
                <Notifications />
              </RequirePermission>
            }
          />
          {sections
            .filter((s) => s.path !== '/')
            .map((s) => (
              <Route
                key={s.path}
                path={`${s.path}/*`}
                element={
                  <RequirePermission permission={s.permission}>
                    {pages[s.path] ?? <UpcomingSection section={s} />}
                  </RequirePermission>
                }
              />
            ))}
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </AuthProvider>
  );
}

/** Theme, toasts, data cache and an outermost error boundary, shared by the app and tests. */
export function AppProviders({ children, queryClient }: { children: ReactNode; queryClient?: QueryClient }) {
  const [client] = useState(() => queryClient ?? createQueryClient());
  return (
    <ThemeProvider>
      <ToastProvider>
        <QueryClientProvider client={client}>
          <ErrorBoundary>{children}</ErrorBoundary>
        </QueryClientProvider>
      </ToastProvider>
    </ThemeProvider>
  );
}

export function App() {
  return (
    <AppProviders>
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </AppProviders>
  );
}
