import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, Navigate, useSearchParams } from 'react-router';
import { api, API_BASE_PATH, ApiError, unwrap, type Schemas } from '../../api/client';
import { useAuth } from '../../auth/AuthProvider';
import { FullPageStatus, useSetupStatus, useSignupEnabled } from '../../auth/guards';
import { oidcErrorMessage, parseReason, safeNext } from '../../auth/redirect';
import { Button, Checkbox, FormError, Notice, TextField } from '../../components/forms';
import { splitErrors } from '../../components/formErrors';
import { usePageTitle } from '../../usePageTitle';
import { AuthFrame } from './AuthFrame';

type LoginResult = Schemas['AuthLoginResult'];
type OidcConfig = Schemas['AuthOidcConfig'];

const noOidc: OidcConfig = { enabled: false, buttonText: '', disableLocalAuth: false };

function useOidcConfig() {
  return useQuery({
    queryKey: ['auth', 'oidc-config'],
    queryFn: async ({ signal }) => unwrap(await api.GET('/auth/oidc/config', { signal })),
    staleTime: 5 * 60_000,
  });
}

export default function Login() {
  usePageTitle('Sign in');
  const { status, signedIn } = useAuth();
  const [params] = useSearchParams();
  const setup = useSetupStatus(status !== 'authenticated');
  const oidc = useOidcConfig();
  const signup = useSignupEnabled();
  const [challenge, setChallenge] = useState<string | null>(null);
  const [restartMessage, setRestartMessage] = useState<string | null>(null);

  const next = safeNext(params.get('next')) ?? '/';
  const reason = parseReason(params.get('reason'));
  const ssoError = oidcErrorMessage(params.get('error'));

  if (status === 'authenticated') return <Navigate to={next} replace />;
  if (setup.data?.setupRequired) return <Navigate to="/setup" replace />;
  if (setup.isPending || oidc.isPending) return <FullPageStatus title="Loading…" busy />;

  // Without the OIDC settings the password form is the only way in, so show it.
  const config = oidc.data ?? noOidc;
  const showLocal = !(config.enabled && config.disableLocalAuth);

  const finish = (result: LoginResult) => {
    if (result.requiresTfa && result.tfaChallenge) {
      setRestartMessage(null);
      setChallenge(result.tfaChallenge);
      return;
    }
    if (result.user && result.permissions) signedIn({ user: result.user, permissions: result.permissions });
  };

  return (
    <AuthFrame
      title={challenge ? 'Two-factor authentication' : 'Sign in to PatchMon'}
      subtitle={challenge ? 'Enter the code from your authenticator app, or one of your backup codes.' : undefined}
    >
      <div className="space-y-4">
        {!challenge && reason === 'expired' && (
          <Notice tone="warning">Your session has expired. Sign in again to continue where you left off.</Notice>
        )}
        {!challenge && reason === 'signed-out' && <Notice tone="success">You have signed out.</Notice>}
        {!challenge && ssoError && <FormError>{ssoError}</FormError>}
        {!challenge && restartMessage && <FormError>{restartMessage}</FormError>}

        {challenge ? (
          <TfaStep
            challenge={challenge}
            onSignedIn={(result) => signedIn(result)}
            onRestart={(message) => {
              setChallenge(null);
              setRestartMessage(message);
            }}
          />
        ) : (
          <>
            {showLocal && <PasswordStep onResult={finish} />}
            {config.enabled && (
              <>
                {showLocal && (
                  <div className="flex items-center gap-3 text-xs text-slate-500 uppercase dark:text-slate-400" aria-hidden="true">
                    <span className="h-px flex-1 bg-slate-200 dark:bg-slate-700" />
                    or
                    <span className="h-px flex-1 bg-slate-200 dark:bg-slate-700" />
                  </div>
                )}
                {/* A full page load: the server redirects to the identity provider. */}
                <a
                  href={`${API_BASE_PATH}/auth/oidc/login`}
                  className="flex w-full items-center justify-center rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500 dark:border-slate-700 dark:bg-slate-900 dark:hover:bg-slate-800"
                >
                  {config.buttonText || 'Login with SSO'}
                </a>
              </>
            )}
            {!showLocal && !config.enabled && <FormError>No sign-in method is available. Contact an administrator.</FormError>}
            {showLocal && signup.data && (
              <p className="text-center text-sm text-slate-600 dark:text-slate-400">
                No account?{' '}
                <Link to="/signup" className="font-medium text-blue-700 underline-offset-2 hover:underline dark:text-blue-300">
                  Create one
                </Link>
              </p>
            )}
          </>
        )}
      </div>
    </AuthFrame>
  );
}

function PasswordStep({ onResult }: { onResult: (result: LoginResult) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const login = useMutation({
    mutationFn: async (body: Schemas['AuthLoginRequest']) => unwrap(await api.POST('/auth/login', { body })),
    onSuccess: onResult,
  });
  const errors = splitErrors(login.error, ['username', 'password'] as const);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate({ username: username.trim(), password });
  };

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="Sign in with a password">
      <FormError>{errors.form}</FormError>
      <TextField
        label="Username or email"
        name="username"
        autoComplete="username"
        required
        autoFocus
        maxLength={254}
        value={username}
        onChange={(e) => setUsername(e.target.value)}
        error={errors.fields.username}
      />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
        maxLength={256}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={errors.fields.password}
      />
      <Button type="submit" variant="primary" busy={login.isPending} className="w-full">
        {login.isPending ? 'Signing in…' : 'Sign in'}
      </Button>
    </form>
  );
}

function TfaStep({
  challenge,
  onSignedIn,
  onRestart,
}: {
  challenge: string;
  onSignedIn: (result: Schemas['AuthTokenResponse']) => void;
  onRestart: (message: string | null) => void;
}) {
  const [code, setCode] = useState('');
  const [remember, setRemember] = useState(false);
  const verify = useMutation({
    mutationFn: async (body: Schemas['AuthVerifyTfaRequest']) => unwrap(await api.POST('/auth/verify-tfa', { body })),
    onSuccess: onSignedIn,
    onError: (err) => {
      // The challenge expired or was used up: the password has to be given again.
      if (err instanceof ApiError && err.code === 'tfa_challenge_invalid') onRestart(err.message);
    },
  });
  const errors = splitErrors(verify.error, ['code'] as const);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // Authenticator apps often show "123 456"; backup codes may be typed with dashes.
    verify.mutate({ tfaChallenge: challenge, code: code.replace(/\s+/g, ''), rememberDevice: remember });
  };

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="Two-factor authentication">
      <FormError>{errors.form}</FormError>
      <TextField
        label="Authentication code"
        name="code"
        autoComplete="one-time-code"
        autoCapitalize="none"
        spellCheck={false}
        required
        autoFocus
        minLength={6}
        maxLength={24}
        value={code}
        onChange={(e) => setCode(e.target.value)}
        error={errors.fields.code}
        hint="A 6-digit code from your app, or a backup code."
      />
      <Checkbox
        label="Remember this device"
        hint="Skip this step on this browser for the period your administrator set."
        checked={remember}
        onChange={(e) => setRemember(e.target.checked)}
      />
      <Button type="submit" variant="primary" busy={verify.isPending} className="w-full">
        {verify.isPending ? 'Verifying…' : 'Verify'}
      </Button>
      <Button variant="ghost" className="w-full" onClick={() => onRestart(null)}>
        Back to sign in
      </Button>
    </form>
  );
}
