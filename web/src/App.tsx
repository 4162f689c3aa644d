import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, useState, type ReactNode } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { ErrorBoundary } from './components/ErrorBoundary';
import { Layout } from './components/Layout';
import { ToastProvider } from './components/Toasts';
import { sections } from './nav';
import { ThemeProvider } from './theme';

// Each page is its own chunk, so the dashboard's first load carries only the shell.
const Dashboard = lazy(() => import('./pages/Dashboard'));
const UpcomingSection = lazy(() => import('./pages/UpcomingSection'));
const NotFound = lazy(() => import('./pages/NotFound'));

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 10_000, retry: 1 },
    },
  });
}

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Dashboard />} />
        {sections
          .filter((s) => s.arrivesWith)
          .map((s) => (
            <Route key={s.path} path={`${s.path}/*`} element={<UpcomingSection section={s} />} />
          ))}
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
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
