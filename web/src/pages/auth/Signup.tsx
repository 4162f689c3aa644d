import { Link, Navigate, useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../auth/AuthProvider';
import { FullPageStatus, useSignupEnabled } from '../../auth/guards';
import { useToast } from '../../components/Toasts';
import { usePageTitle } from '../../usePageTitle';
import { AccountForm } from './AccountForm';
import { AuthFrame } from './AuthFrame';

/** Self sign-up, available only when an administrator turned it on. */
export default function Signup() {
  usePageTitle('Create an account');
  const enabled = useSignupEnabled();
  const { status, signedIn } = useAuth();
  const navigate = useNavigate();
  const toast = useToast();

  if (status === 'authenticated') return <Navigate to="/" replace />;
  if (enabled.isPending) return <FullPageStatus title="Loading…" busy />;

  return (
    <AuthFrame wide title="Create an account" subtitle={enabled.data ? 'You can sign in as soon as the account exists.' : undefined}>
      {enabled.data ? (
        <AccountForm
          submitLabel="Create account"
          busyLabel="Creating…"
          create={async (body) => unwrap(await api.POST('/auth/signup', { body }))}
          onCreated={(result) => {
            signedIn(result);
            toast.show('Your account is ready.', { kind: 'success' });
            void navigate('/', { replace: true });
          }}
        />
      ) : (
        <p className="text-sm">Sign-up is turned off on this server. Ask an administrator to create an account for you.</p>
      )}
      <p className="mt-4 text-center text-sm">
        <Link to="/login" className="font-medium text-blue-700 underline-offset-2 hover:underline dark:text-blue-300">
          Back to sign in
        </Link>
      </p>
    </AuthFrame>
  );
}
