import { useQueryClient } from '@tanstack/react-query';
import { Navigate, useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../auth/AuthProvider';
import { FullPageStatus, setupStatusQueryKey, useSetupStatus } from '../../auth/guards';
import { useToast } from '../../components/Toasts';
import { usePageTitle } from '../../usePageTitle';
import { AccountForm } from './AccountForm';
import { AuthFrame } from './AuthFrame';

/** First-time setup: offered only while no user exists; creates the first super admin. */
export default function Setup() {
  usePageTitle('First-time setup');
  const status = useSetupStatus();
  const { signedIn } = useAuth();
  const navigate = useNavigate();
  const toast = useToast();
  const queryClient = useQueryClient();

  if (status.isPending) return <FullPageStatus title="Checking whether setup is needed…" busy />;
  if (status.isError) return <FullPageStatus title="Cannot reach the PatchMon server.">{status.error.message}</FullPageStatus>;
  if (!status.data.setupRequired) return <Navigate to="/login" replace />;

  return (
    <AuthFrame
      wide
      title="Welcome to PatchMon"
      subtitle="Create the first administrator account. It has every permission and can invite everyone else."
    >
      <AccountForm
        submitLabel="Create administrator"
        busyLabel="Creating…"
        create={async (body) => unwrap(await api.POST('/auth/setup-admin', { body }))}
        onCreated={(result) => {
          queryClient.setQueryData(setupStatusQueryKey, { hasAdminUsers: true, setupRequired: false });
          signedIn(result);
          toast.show(`Welcome, ${result.user.firstName || result.user.username}. Your administrator account is ready.`, {
            kind: 'success',
          });
          void navigate('/', { replace: true });
        }}
      />
    </AuthFrame>
  );
}
