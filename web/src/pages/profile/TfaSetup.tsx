import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { Button, FormError, TextField } from '../../components/forms';
import { splitErrors } from '../../components/formErrors';
import { CopyButton } from '../../components/CopyButton';

/** Enrolment: scan the QR code (or type the secret), then confirm with a code from the app. */
export function TfaSetup({
  setup,
  onCancel,
  onEnabled,
}: {
  setup: Schemas['TfaSetupResult'];
  onCancel: () => void;
  onEnabled: (backupCodes: string[]) => void;
}) {
  const [code, setCode] = useState('');
  const verify = useMutation({
    mutationFn: async (value: string) => unwrap(await api.POST('/tfa/verify-setup', { body: { code: value } })),
    onSuccess: (result) => onEnabled(result.backupCodes),
  });
  const errors = splitErrors(verify.error, ['code'] as const);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    verify.mutate(code.replace(/\s+/g, ''));
  };

  return (
    <form onSubmit={submit} className="space-y-4" aria-label="Set up two-factor authentication">
      <ol className="list-decimal space-y-4 pl-5 text-sm">
        <li>
          <p>Scan this QR code with an authenticator app (Google Authenticator, Authy, 1Password, …).</p>
          <img
            src={setup.qrCode}
            alt="QR code to add PatchMon to your authenticator app"
            width={192}
            height={192}
            className="mt-3 h-48 w-48 rounded-md border border-slate-200 bg-white p-2 dark:border-slate-700"
          />
        </li>
        <li>
          <p>Or type this key into the app:</p>
          <div className="mt-2 flex flex-wrap items-center gap-2">
            <code data-testid="tfa-secret" className="rounded bg-slate-100 px-2 py-1 font-mono text-sm break-all dark:bg-slate-800">
              {setup.secret}
            </code>
            <CopyButton text={setup.secret} label="Copy key" />
          </div>
        </li>
        <li>
          <p>Enter the 6-digit code the app shows to finish.</p>
          <FormError>{errors.form}</FormError>
          <TextField
            label="Code from the app"
            className="mt-2 max-w-xs"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            minLength={6}
            maxLength={10}
            value={code}
            onChange={(e) => setCode(e.target.value)}
            error={errors.fields.code}
          />
        </li>
      </ol>
      <div className="flex flex-wrap gap-2">
        <Button type="submit" variant="primary" busy={verify.isPending}>
          {verify.isPending ? 'Verifying…' : 'Turn on two-factor authentication'}
        </Button>
        <Button onClick={onCancel}>Cancel</Button>
      </div>
    </form>
  );
}
