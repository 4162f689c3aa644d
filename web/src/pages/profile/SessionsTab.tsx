import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../auth/AuthProvider';
import { ConfirmDialog } from '../../components/Dialog';
import { Button, Card, FormError } from '../../components/forms';
import { useToast } from '../../components/Toasts';
import { describeUserAgent, formatDateTime } from '../../format';
import { tfaStatusQueryKey } from './SecurityTab';

const sessionsKey = ['auth', 'sessions'] as const;
const devicesKey = ['tfa', 'trusted-devices'] as const;

export function SessionsTab() {
  return (
    <div className="grid max-w-4xl gap-6">
      <SessionsCard />
      <TrustedDevicesCard />
    </div>
  );
}

function Badge({ children }: { children: string }) {
  return (
    <span className="ml-2 rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100">
      {children}
    </span>
  );
}

function ListRow({ title, badge, details, action }: { title: string; badge?: string; details: string[]; action?: ReactNode }) {
  return (
    <li className="flex flex-wrap items-center justify-between gap-3 py-3">
      <div className="min-w-0">
        <p className="text-sm font-medium">
          {title}
          {badge && <Badge>{badge}</Badge>}
        </p>
        <p className="text-xs break-words text-slate-500 dark:text-slate-400">{details.join(' · ')}</p>
      </div>
      {action}
    </li>
  );
}

function SessionsCard() {
  const toast = useToast();
  const queryClient = useQueryClient();
  const { signOut } = useAuth();
  const [confirmAll, setConfirmAll] = useState(false);
  const sessions = useQuery({
    queryKey: sessionsKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/auth/sessions', { signal })).sessions,
  });
  const revoke = useMutation({
    mutationFn: async (sessionId: string) =>
      unwrap(await api.DELETE('/auth/sessions/{sessionId}', { params: { path: { sessionId } } })),
    onSuccess: () => {
      toast.show('The session was signed out.', { kind: 'success' });
      void queryClient.invalidateQueries({ queryKey: sessionsKey });
    },
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });
  const logoutAll = useMutation({
    mutationFn: () => signOut({ everywhere: true }),
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });

  return (
    <Card
      title="Where you are signed in"
      description="Sign out sessions you do not recognise. Signing out everywhere includes this browser."
      actions={
        <Button variant="danger" onClick={() => setConfirmAll(true)}>
          Sign out everywhere
        </Button>
      }
    >
      {sessions.isPending && (
        <p role="status" className="text-sm text-slate-500">
          Loading sessions…
        </p>
      )}
      {sessions.isError && <FormError>{sessions.error.message}</FormError>}
      {sessions.data && (
        <ul aria-label="Sessions" className="divide-y divide-slate-200 dark:divide-slate-800">
          {sessions.data.map((s) => (
            <ListRow
              key={s.id}
              title={describeUserAgent(s.userAgent)}
              badge={s.current ? 'This browser' : undefined}
              details={[
                s.ipAddress || 'unknown address',
                s.loginMethod === 'oidc' ? 'single sign-on' : 'password',
                `signed in ${formatDateTime(s.createdAt)}`,
                `last active ${formatDateTime(s.lastActivityAt)}`,
              ]}
              action={
                !s.current && (
                  <Button
                    size="sm"
                    onClick={() => revoke.mutate(s.id)}
                    busy={revoke.isPending && revoke.variables === s.id}
                    aria-label={`Sign out ${describeUserAgent(s.userAgent)} from ${s.ipAddress || 'unknown address'}`}
                  >
                    Sign out
                  </Button>
                )
              }
            />
          ))}
        </ul>
      )}
      {confirmAll && (
        <ConfirmDialog
          title="Sign out everywhere?"
          confirmLabel="Sign out everywhere"
          busy={logoutAll.isPending}
          onClose={() => setConfirmAll(false)}
          onConfirm={() => logoutAll.mutate()}
        >
          <p className="text-sm">Every session ends, including this one. You will need to sign in again.</p>
        </ConfirmDialog>
      )}
    </Card>
  );
}

function TrustedDevicesCard() {
  const toast = useToast();
  const queryClient = useQueryClient();
  const devices = useQuery({
    queryKey: devicesKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/tfa/trusted-devices', { signal })).devices,
  });
  const changed = (message: string) => {
    toast.show(message, { kind: 'success' });
    void queryClient.invalidateQueries({ queryKey: devicesKey });
    void queryClient.invalidateQueries({ queryKey: tfaStatusQueryKey });
  };
  const revoke = useMutation({
    mutationFn: async (deviceId: string) =>
      unwrap(await api.DELETE('/tfa/trusted-devices/{deviceId}', { params: { path: { deviceId } } })),
    onSuccess: () => changed('The device will be asked for a code again.'),
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });
  const revokeAll = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/tfa/trusted-devices')),
    onSuccess: () => changed('Every device will be asked for a code again.'),
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });

  return (
    <Card
      title="Trusted devices"
      description="Browsers where you chose “Remember this device” skip the two-factor step until they expire."
      actions={
        devices.data && devices.data.length > 0 ? (
          <Button onClick={() => revokeAll.mutate()} busy={revokeAll.isPending}>
            Forget all devices
          </Button>
        ) : undefined
      }
    >
      {devices.isPending && (
        <p role="status" className="text-sm text-slate-500">
          Loading devices…
        </p>
      )}
      {devices.isError && <FormError>{devices.error.message}</FormError>}
      {devices.data && devices.data.length === 0 && (
        <p className="text-sm text-slate-600 dark:text-slate-400">
          No trusted devices. Tick “Remember this device” when you enter a two-factor code to add one.
        </p>
      )}
      {devices.data && devices.data.length > 0 && (
        <ul aria-label="Trusted devices" className="divide-y divide-slate-200 dark:divide-slate-800">
          {devices.data.map((d) => (
            <ListRow
              key={d.id}
              title={describeUserAgent(d.userAgent)}
              badge={d.current ? 'This browser' : undefined}
              details={[
                d.ipAddress || 'unknown address',
                `last used ${formatDateTime(d.lastUsedAt)}`,
                `expires ${formatDateTime(d.expiresAt)}`,
              ]}
              action={
                <Button
                  size="sm"
                  onClick={() => revoke.mutate(d.id)}
                  busy={revoke.isPending && revoke.variables === d.id}
                  aria-label={`Forget ${describeUserAgent(d.userAgent)} from ${d.ipAddress || 'unknown address'}`}
                >
                  Forget
                </Button>
              }
            />
          ))}
        </ul>
      )}
    </Card>
  );
}
