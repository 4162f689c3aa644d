import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, unwrap } from '../../../api/client';
import { Dialog } from '../../../components/Dialog';
import { Button, Checkbox, FormError, SelectField, TextField } from '../../../components/forms';
import {
  buildBody,
  fieldFromServer,
  generateSecret,
  initialValues,
  secretSet,
  typeDescriptions,
  typeFields,
  typeLabels,
  validate,
  type Destination,
  type DestinationType,
  type FieldDef,
  type FormValues,
} from './model';

const types = Object.keys(typeLabels) as DestinationType[];

/** Creates a destination, or edits one (the type is fixed once created). */
export function DestinationEditor({
  destination,
  onClose,
  onSaved,
}: {
  destination?: Destination;
  onClose: () => void;
  onSaved: (d: Destination, created: boolean) => void;
}) {
  const editing = Boolean(destination);
  const [type, setType] = useState<DestinationType>(destination?.type ?? 'webhook');
  const [name, setName] = useState(destination?.name ?? '');
  const [enabled, setEnabled] = useState(destination?.enabled ?? true);
  const [values, setValues] = useState<FormValues>(() => initialValues(destination));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState('');

  const save = useMutation({
    mutationFn: async () => {
      const body = buildBody(type, name, enabled, values);
      if (destination) {
        return unwrap(
          await api.PUT('/notifications/destinations/{destinationId}', {
            params: { path: { destinationId: destination.id } },
            body: { name: body.name, enabled: body.enabled, config: body.config, secrets: body.secrets },
          }),
        );
      }
      return unwrap(await api.POST('/notifications/destinations', { body }));
    },
    onSuccess: (d) => onSaved(d, !editing),
    onError: (err) => {
      const field = err instanceof ApiError ? fieldFromServer(err.field) : undefined;
      if (field && (field === 'name' || typeFields[type].some((f) => f.key === field))) {
        setErrors({ [field]: err.message });
        setFormError('');
      } else {
        setErrors({});
        setFormError(err.message);
      }
    },
  });

  const submit = () => {
    const found = validate(type, name, values, destination);
    setErrors(found as Record<string, string>);
    setFormError('');
    if (Object.keys(found).length === 0) save.mutate();
  };

  const set = (key: string, value: string) => setValues((v) => ({ ...v, [key]: value }));

  return (
    <Dialog
      title={editing ? `Edit “${destination?.name}”` : 'New destination'}
      description={typeDescriptions[type]}
      onClose={onClose}
      onSubmit={submit}
      wide
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            {editing ? 'Save' : 'Create destination'}
          </Button>
        </>
      }
    >
      <FormError>{formError}</FormError>
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField label="Name" required value={name} onChange={(e) => setName(e.target.value)} error={errors.name} maxLength={100} />
        <SelectField
          label="Type"
          value={type}
          disabled={editing}
          hint={editing ? 'The type of a destination cannot change.' : undefined}
          onChange={(e) => {
            setType(e.target.value as DestinationType);
            setErrors({});
          }}
        >
          {types.map((t) => (
            <option key={t} value={t}>
              {typeLabels[t]}
            </option>
          ))}
        </SelectField>
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        {typeFields[type].map((f) => (
          <Field key={f.key} field={f} value={values[f.key] ?? ''} stored={secretSet(destination, f.key)} error={errors[f.key]} onChange={(v) => set(f.key, v)} />
        ))}
      </div>
      <Checkbox label="Enabled" hint="Disabled destinations receive nothing from routes; you can still send a test." checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
    </Dialog>
  );
}

function Field({
  field: f,
  value,
  stored,
  error,
  onChange,
}: {
  field: FieldDef;
  value: string;
  stored?: string;
  error?: string;
  onChange: (v: string) => void;
}) {
  const wide = f.input === 'headers' || f.input === 'list' || f.key === 'url' || f.key === 'webhook_url' || f.input === 'checkbox';
  const span = wide ? 'sm:col-span-2' : '';
  if (f.input === 'checkbox') {
    return <Checkbox className={span} label={f.label} checked={value === 'true'} onChange={(e) => onChange(e.target.checked ? 'true' : '')} />;
  }
  if (f.input === 'select') {
    return (
      <SelectField className={span} label={f.label} value={value} onChange={(e) => onChange(e.target.value)} error={error}>
        {f.options?.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </SelectField>
    );
  }
  const storedHint = stored ? `Stored: ${stored}. Leave empty to keep it.` : undefined;
  const hint = [storedHint, f.hint].filter(Boolean).join(' ') || undefined;
  if (f.input === 'headers') {
    return (
      <div className={span}>
        <label className="block text-sm font-medium" htmlFor={`field-${f.key}`}>
          {f.label}
        </label>
        <textarea
          id={`field-${f.key}`}
          rows={3}
          value={value}
          placeholder={f.placeholder}
          onChange={(e) => onChange(e.target.value)}
          aria-describedby={`field-${f.key}-hint`}
          className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm shadow-sm focus:border-blue-500 focus:ring-2 focus:ring-blue-500/30 focus:outline-none dark:border-slate-700 dark:bg-slate-950"
        />
        <p id={`field-${f.key}-hint`} className={`mt-1 text-xs ${error ? 'text-rose-700 dark:text-rose-300' : 'text-slate-500 dark:text-slate-400'}`}>
          {error ?? hint}
        </p>
      </div>
    );
  }
  return (
    <div className={`${span} ${f.key === 'signing_secret' ? 'flex items-end gap-2' : ''}`}>
      <TextField
        className={f.key === 'signing_secret' ? 'flex-1' : undefined}
        label={f.label}
        type={f.input === 'list' ? 'text' : f.input}
        required={f.required && !stored}
        autoComplete={f.secret ? 'off' : undefined}
        value={value}
        placeholder={stored && f.secret ? '••••••••' : f.placeholder}
        onChange={(e) => onChange(e.target.value)}
        error={error}
        hint={hint}
      />
      {f.key === 'signing_secret' && (
        <Button className="mb-[1.6rem]" onClick={() => onChange(generateSecret())}>
          Generate
        </Button>
      )}
    </div>
  );
}
