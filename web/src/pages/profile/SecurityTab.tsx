import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useUser } from '../../auth/AuthProvider';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { Button, Card, FormError, Notice, TextField } from '../../components/forms';
import { splitErrors } from '../../components/formErrors';
import { useToast } from '../../components/Toasts';
import { BackupCodes } from './BackupCodes';
import { TfaSetup } from './TfaSetup';

export const tfaStatusQueryKey = ['tfa', 'status'] as const;

export function SecurityTab() {
  const user = useUser();
  return (
    <div className="grid max-w-3xl gap-6">
      {user.hasPassword ? (
        <PasswordCard />
      ) : (
        <Card title="Password">
          <p className="text-sm">You sign in through single sign-on, so this account has no PatchMon password to change.</p>
        </Card>
      )}
      <TwoFactorCard />
    </div>
  );
}

const PASSWORD_FIELDS = ['currentPassword', 'newPassword', 'confirmPassword'] as const;

function PasswordCard() {
  const toast = useToast();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation({
    mutationFn: async (body: Schemas['AuthChangePasswordRequest']) => unwrap(await api.PUT('/auth/change-password', { body })),
    onSuccess: () => {
      setCurrent('');
      setNext('');
      setConfirm('');
      toast.show('Your password was changed. Your other sessions were signed out.', { kind: 'success' });
    },
  });
  // The policy check names "password" or "newPassword"; both belong under the new password.
  const errors = splitErrors(change.error, PASSWORD_FIELDS, { password: 'newPassword' });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (next !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    change.mutate({ currentPassword: current, newPassword: next });
  };

  return (
    <Card title="Change password" description="Changing it signs you out everywhere else.">
      <form onSubmit={submit} className="space-y-4">
        <FormError>{errors.form}</FormError>
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          maxLength={256}
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={errors.fields.currentPassword}
          className="sm:max-w-sm"
        />
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            label="New password"
            type="password"
            autoComplete="new-password"
            required
            maxLength={256}
            value={next}
            onChange={(e) => setNext(e.target.value)}
            error={errors.fields.newPassword}
          />
          <TextField
            label="Confirm new password"
            type="password"
            autoComplete="new-password"
            required
            maxLength={256}
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
            error={mismatch ? 'The passwords do not match.' : undefined}
          />
        </div>
        <div className="flex justify-end">
          <Button type="submit" variant="primary" busy={change.isPending}>
            {change.isPending ? 'Changing…' : 'Change password'}
          </Button>
        </div>
      </form>
    </Card>
  );
}

function useTfaStatus() {
  return useQuery({
    queryKey: tfaStatusQueryKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/tfa/status', { signal })),
  });
}

type PasswordAction = 'disable' | 'regenerate';

function TwoFactorCard() {
  const status = useTfaStatus();
  const queryClient = useQueryClient();
  const [enrolling, setEnrolling] = useState<Schemas['TfaSetupResult'] | null>(null);
  const start = useMutation({
    mutationFn: async () => unwrap(await api.POST('/tfa/setup')),
    onSuccess: setEnrolling,
  });
  const [action, setAction] = useState<PasswordAction | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: tfaStatusQueryKey });
    void queryClient.invalidateQueries({ queryKey: ['auth'] });
  };

  const description = 'A code from an authenticator app, asked for after your password.';

  if (status.isPending) {
    return (
      <Card title="Two-factor authentication" description={description}>
        <p role="status" className="text-sm text-slate-500">
          Loading…
        </p>
      </Card>
    );
  }
  if (status.isError) {
    return (
      <Card title="Two-factor authentication" description={description}>
        <FormError>{status.error.message}</FormError>
      </Card>
    );
  }

  const tfa = status.data;
  return (
    <Card title="Two-factor authentication" description={description}>
      {codes && (
        <div className="mb-4">
          <BackupCodes codes={codes} onDone={() => setCodes(null)} />
        </div>
      )}
      {!tfa.available ? (
        <p className="text-sm">
          Two-factor authentication protects password sign-in. This account signs in through single sign-on, where your identity
          provider handles it.
        </p>
      ) : tfa.enabled ? (
        <div className="space-y-4">
          <Notice tone="success">Two-factor authentication is on.</Notice>
          <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm">
            <dt className="text-slate-500 dark:text-slate-400">Backup codes left</dt>
            <dd>{tfa.backupCodesRemaining}</dd>
            <dt className="text-slate-500 dark:text-slate-400">Trusted devices</dt>
            <dd>{tfa.trustedDevices}</dd>
          </dl>
          {tfa.backupCodesRemaining <= 3 && !codes && (
            <Notice tone="warning">You are running out of backup codes. Generate new ones and keep them somewhere safe.</Notice>
          )}
          <div className="flex flex-wrap gap-2">
            <Button onClick={() => setAction('regenerate')}>Generate new backup codes</Button>
            <Button variant="danger" onClick={() => setAction('disable')}>
              Turn off two-factor authentication
            </Button>
          </div>
        </div>
      ) : enrolling ? (
        <TfaSetup
          setup={enrolling}
          onCancel={() => setEnrolling(null)}
          onEnabled={(backupCodes) => {
            setEnrolling(null);
            setCodes(backupCodes);
            refresh();
          }}
        />
      ) : (
        <div className="space-y-4">
          <Notice tone="warning">Two-factor authentication is off. Turn it on so a stolen password is not enough to sign in.</Notice>
          <FormError>{start.error?.message}</FormError>
          <Button variant="primary" busy={start.isPending} onClick={() => start.mutate()}>
            {start.isPending ? 'Starting…' : 'Set up two-factor authentication'}
          </Button>
        </div>
      )}
      {action && (
        <PasswordDialog
          action={action}
          onClose={() => setAction(null)}
          onDone={(result) => {
            setAction(null);
            if (result) setCodes(result);
            refresh();
          }}
        />
      )}
    </Card>
  );
}

/** Asks for the password before turning 2FA off or replacing the backup codes. */
function PasswordDialog({
  action,
  onClose,
  onDone,
}: {
  action: PasswordAction;
  onClose: () => void;
  onDone: (codes: string[] | null) => void;
}) {
  const toast = useToast();
  const [password, setPassword] = useState('');
  const mutation = useMutation({
    mutationFn: async (): Promise<string[] | null> => {
      const body = { password };
      if (action === 'disable') {
        unwrap(await api.POST('/tfa/disable', { body }));
        return null;
      }
      return unwrap(await api.POST('/tfa/regenerate-backup-codes', { body })).backupCodes;
    },
    onSuccess: (codes) => {
      toast.show(action === 'disable' ? 'Two-factor authentication is off.' : 'New backup codes were generated.', {
        kind: 'success',
      });
      onDone(codes);
    },
  });
  const errors = splitErrors(mutation.error, ['password'] as const);
  const disable = action === 'disable';

  const field = (
    <TextField
      label="Your password"
      type="password"
      autoComplete="current-password"
      required
      autoFocus
      value={password}
      onChange={(e) => setPassword(e.target.value)}
      error={errors.fields.password}
    />
  );

  if (disable) {
    return (
      <ConfirmDialog
        title="Turn off two-factor authentication?"
        confirmLabel="Turn off"
        busy={mutation.isPending}
        onClose={onClose}
        onConfirm={() => mutation.mutate()}
      >
        <p className="text-sm">Your backup codes and trusted devices are removed as well. Enter your password to confirm.</p>
        <FormError>{errors.form}</FormError>
        {field}
      </ConfirmDialog>
    );
  }
  return (
    <Dialog
      title="Generate new backup codes"
      description="Your current backup codes stop working. Enter your password to confirm."
      onClose={onClose}
      onSubmit={() => mutation.mutate()}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={mutation.isPending}>
            Generate codes
          </Button>
        </>
      }
    >
      <FormError>{errors.form}</FormError>
      {field}
    </Dialog>
  );
}
