import { lazy } from 'react';
import { Route, Routes } from 'react-router';
import { RequirePermission } from '../../auth/guards';
import { useLiveHostQueries } from './live';
import HostList from './HostList';

const AddHost = lazy(() => import('./AddHost'));
const HostDetail = lazy(() => import('./HostDetail'));

/** /hosts and below: the list, the add-host wizard and one host's page, kept live by the event stream. */
export default function HostsPage() {
  useLiveHostQueries();
  return (
    <Routes>
      <Route index element={<HostList />} />
      <Route
        path="new"
        element={
          <RequirePermission permission="can_manage_hosts">
            <AddHost />
          </RequirePermission>
        }
      />
      <Route path=":hostId/*" element={<HostDetail />} />
    </Routes>
  );
}
