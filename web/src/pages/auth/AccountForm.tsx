import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Schemas } from '../../api/client';
import { Button, FormError, TextField } from '../../components/forms';
import { splitErrors } from '../../components/formErrors';

export type AccountRequest = Schemas['AuthAccountRequest'];
type TokenResponse = Schemas['AuthTokenResponse'];

const FIELDS = ['username', 'email', 'firstName', 'lastName', 'password', 'confirmPassword'] as const;
type Field = (typeof FIELDS)[number];

/**
 * Username, email, names and password (twice), as the first-time setup and sign-up pages
 * ask for them. Policy violations come back from the server with the field they concern.
 */
export function AccountForm({
  submitLabel,
  busyLabel,
  create,
  onCreated,
}: {
  submitLabel: string;
  busyLabel: string;
  create: (request: AccountRequest) => Promise<TokenResponse>;
  onCreated: (result: TokenResponse) => void;
}) {
  const [values, setValues] = useState<Record<Field, string>>({
    username: '',
    email: '',
    firstName: '',
    lastName: '',
    password: '',
    confirmPassword: '',
  });
  const [mismatch, setMismatch] = useState(false);
  const mutation = useMutation({ mutationFn: create, onSuccess: onCreated });
  const errors = splitErrors(mutation.error, FIELDS);

  const bind = (field: Field) => ({
    value: values[field],
    onChange: (event: { target: { value: string } }) => setValues((v) => ({ ...v, [field]: event.target.value })),
    error: errors.fields[field],
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (values.password !== values.confirmPassword) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    mutation.mutate({
      username: values.username.trim(),
      email: values.email.trim(),
      firstName: values.firstName.trim(),
      lastName: values.lastName.trim(),
      password: values.password,
    });
  };

  return (
    <form onSubmit={submit} className="space-y-4">
      <FormError>{errors.form}</FormError>
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField label="First name" autoComplete="given-name" maxLength={100} {...bind('firstName')} />
        <TextField label="Last name" autoComplete="family-name" maxLength={100} {...bind('lastName')} />
      </div>
      <TextField
        label="Username"
        required
        autoComplete="username"
        minLength={3}
        maxLength={64}
        hint="3 to 64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit."
        {...bind('username')}
      />
      <TextField label="Email" type="email" required autoComplete="email" maxLength={254} {...bind('email')} />
      <TextField label="Password" type="password" required autoComplete="new-password" maxLength={256} {...bind('password')} />
      <TextField
        label="Confirm password"
        type="password"
        required
        autoComplete="new-password"
        maxLength={256}
        {...bind('confirmPassword')}
        error={mismatch ? 'The passwords do not match.' : undefined}
      />
      <Button type="submit" variant="primary" busy={mutation.isPending} className="w-full">
        {mutation.isPending ? busyLabel : submitLabel}
      </Button>
    </form>
  );
}
