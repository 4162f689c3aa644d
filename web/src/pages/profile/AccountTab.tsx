import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { profileQueryKey, useUser, type Profile } from '../../auth/AuthProvider';
import { Button, Card, FormError, SelectField, TextField } from '../../components/forms';
import { splitErrors } from '../../components/formErrors';
import { useToast } from '../../components/Toasts';
import { formatDateTime } from '../../format';
import { useTheme, type ThemePreference } from '../../theme';

type ProfileUpdate = Schemas['AuthProfileUpdate'];

const FIELDS = ['username', 'email', 'firstName', 'lastName'] as const;
type Field = (typeof FIELDS)[number];

function useUpdateProfile() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (body: ProfileUpdate) => unwrap(await api.PUT('/auth/profile', { body })),
    onSuccess: (profile) => queryClient.setQueryData<Profile>(profileQueryKey, profile),
  });
}

export function AccountTab() {
  const user = useUser();
  return (
    <div className="grid max-w-3xl gap-6">
      <DetailsCard />
      <ThemeCard />
      <Card title="Account">
        <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm">
          <dt className="text-slate-500 dark:text-slate-400">Role</dt>
          <dd>{user.role}</dd>
          <dt className="text-slate-500 dark:text-slate-400">Sign-in</dt>
          <dd>{[user.hasPassword && 'Password', user.oidcLinked && 'Single sign-on'].filter(Boolean).join(' and ') || '—'}</dd>
          <dt className="text-slate-500 dark:text-slate-400">Last sign-in</dt>
          <dd>{formatDateTime(user.lastLoginAt)}</dd>
          <dt className="text-slate-500 dark:text-slate-400">Member since</dt>
          <dd>{formatDateTime(user.createdAt)}</dd>
        </dl>
      </Card>
    </div>
  );
}

function DetailsCard() {
  const user = useUser();
  const toast = useToast();
  const update = useUpdateProfile();
  const [values, setValues] = useState<Record<Field, string>>({
    username: user.username,
    email: user.email,
    firstName: user.firstName,
    lastName: user.lastName,
  });
  const errors = splitErrors(update.error, FIELDS);
  const bind = (field: Field) => ({
    value: values[field],
    onChange: (event: { target: { value: string } }) => setValues((v) => ({ ...v, [field]: event.target.value })),
    error: errors.fields[field],
  });

  const changed = FIELDS.filter((f) => values[f].trim() !== user[f]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body: ProfileUpdate = {};
    for (const f of changed) body[f] = values[f].trim();
    update.mutate(body, { onSuccess: () => toast.show('Your details were saved.', { kind: 'success' }) });
  };

  return (
    <Card title="Details" description="How you appear to other administrators, and how you sign in.">
      <form onSubmit={submit} className="space-y-4">
        <FormError>{errors.form}</FormError>
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField label="First name" autoComplete="given-name" maxLength={100} {...bind('firstName')} />
          <TextField label="Last name" autoComplete="family-name" maxLength={100} {...bind('lastName')} />
          <TextField label="Username" autoComplete="username" required minLength={3} maxLength={64} {...bind('username')} />
          <TextField label="Email" type="email" autoComplete="email" required maxLength={254} {...bind('email')} />
        </div>
        <div className="flex justify-end">
          <Button type="submit" variant="primary" busy={update.isPending} disabled={changed.length === 0}>
            {update.isPending ? 'Saving…' : 'Save details'}
          </Button>
        </div>
      </form>
    </Card>
  );
}

function ThemeCard() {
  const { preference, setPreference } = useTheme();
  const update = useUpdateProfile();
  const toast = useToast();

  const choose = (next: ThemePreference) => {
    setPreference(next);
    update.mutate(
      { themePreference: next },
      {
        onSuccess: () => toast.show('Theme preference saved.', { kind: 'success' }),
        onError: (err) => toast.show(`The theme was not saved: ${err.message}`, { kind: 'error' }),
      },
    );
  };

  return (
    <Card title="Appearance" description="Saved to your account, so every browser you sign in from uses it.">
      <SelectField
        label="Theme"
        className="max-w-xs"
        value={preference}
        onChange={(e) => choose(e.target.value as ThemePreference)}
        disabled={update.isPending}
      >
        <option value="system">Follow the system setting</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </SelectField>
    </Card>
  );
}
