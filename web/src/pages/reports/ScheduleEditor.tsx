import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, ApiError, unwrap } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import { Button, Checkbox, FormError, SelectField, TextField } from '../../components/forms';
import { formatDateTime } from '../../format';
import { cronPresets, formatLabels, initialForm, toInput, validateForm, type ReportFormat, type ReportOptions, type Schedule, type ScheduleForm } from './model';

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/** Creates or replaces a report schedule, previewing the next run times as you type. */
export function ScheduleEditor({
  schedule,
  options,
  onClose,
  onSaved,
}: {
  schedule?: Schedule;
  options: ReportOptions;
  onClose: () => void;
  onSaved: (s: Schedule) => void;
}) {
  const [form, setForm] = useState<ScheduleForm>(() => initialForm(schedule, options.default_timezone));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState('');
  const set = <K extends keyof ScheduleForm>(k: K, v: ScheduleForm[K]) => setForm((f) => ({ ...f, [k]: v }));

  const cron = useDebounced(form.cron.trim(), 300);
  const tz = useDebounced(form.timezone.trim(), 300);
  const preview = useQuery({
    queryKey: ['scheduled-reports', 'next-runs', cron, tz],
    queryFn: async ({ signal }) =>
      unwrap(await api.GET('/scheduled-reports/next-runs', { params: { query: { cron, timezone: tz || undefined, count: 5 } }, signal })),
    enabled: cron !== '',
  });

  const save = useMutation({
    mutationFn: async () => {
      const body = toInput(form);
      if (schedule) {
        return unwrap(await api.PUT('/scheduled-reports/{scheduleId}', { params: { path: { scheduleId: schedule.id } }, body }));
      }
      return unwrap(await api.POST('/scheduled-reports', { body }));
    },
    onSuccess: onSaved,
    onError: (err) => {
      if (err instanceof ApiError && err.field) {
        setErrors({ [err.field]: err.message });
        setFormError('');
      } else setFormError(err.message);
    },
  });

  const submit = () => {
    const found = validateForm(form);
    setErrors(found as Record<string, string>);
    setFormError('');
    if (Object.keys(found).length === 0) save.mutate();
  };

  const toggle = (k: 'hostGroupIds' | 'destinationIds', id: string, on: boolean) =>
    set(k, on ? [...form[k].filter((x) => x !== id), id] : form[k].filter((x) => x !== id));

  return (
    <Dialog
      title={schedule ? `Edit “${schedule.name}”` : 'New scheduled report'}
      description="A fleet patch-status report: every host with its outdated and security update counts, and the packages most hosts need."
      onClose={onClose}
      onSubmit={submit}
      wide
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            {schedule ? 'Save' : 'Create schedule'}
          </Button>
        </>
      }
    >
      <FormError>{formError}</FormError>
      <TextField label="Name" required value={form.name} maxLength={100} onChange={(e) => set('name', e.target.value)} error={errors.name} />
      <div className="grid gap-4 sm:grid-cols-2">
        <SelectField label="Preset" value={cronPresets.some((p) => p.cron === form.cron.trim()) ? form.cron.trim() : ''} onChange={(e) => e.target.value && set('cron', e.target.value)}>
          <option value="">Custom</option>
          {cronPresets.map((p) => (
            <option key={p.cron} value={p.cron}>
              {p.label}
            </option>
          ))}
        </SelectField>
        <TextField
          label="Cron expression"
          required
          value={form.cron}
          onChange={(e) => set('cron', e.target.value)}
          error={errors.cron ?? (preview.data && !preview.data.valid ? (preview.data.error ?? 'Invalid') : undefined)}
          hint="minute hour day-of-month month day-of-week, or @daily, @weekly, @monthly"
        />
        <TextField label="Time zone" value={form.timezone} onChange={(e) => set('timezone', e.target.value)} error={errors.timezone} hint="IANA name such as Europe/Berlin." />
        <SelectField label="Format" value={form.format} onChange={(e) => set('format', e.target.value as ReportFormat)} error={errors.format}>
          {options.formats.map((f) => (
            <option key={f} value={f}>
              {formatLabels[f]}
            </option>
          ))}
        </SelectField>
        <TextField label="Top packages" type="number" min={0} max={100} value={form.topPackages} onChange={(e) => set('topPackages', e.target.value)} error={errors.top_packages} />
      </div>
      <section aria-label="Next runs" className="rounded-md bg-slate-50 px-3 py-2 text-sm dark:bg-slate-950">
        <p className="font-medium">Next runs</p>
        {preview.data?.valid ? (
          <ul className="mt-1 space-y-0.5 text-slate-700 dark:text-slate-300">
            {preview.data.next_runs.map((t) => (
              <li key={t}>{formatDateTime(t)}</li>
            ))}
          </ul>
        ) : (
          <p className="text-slate-500">{preview.isFetching ? 'Checking…' : (preview.data?.error ?? 'Enter a schedule to see when it runs.')}</p>
        )}
      </section>
      <fieldset>
        <legend className="text-sm font-medium">Destinations</legend>
        <p className="text-xs text-slate-500 dark:text-slate-400">Email gets the report inline (HTML) or attached; webhooks get it as JSON; chat services get a summary.</p>
        <div className="mt-2 grid gap-2 sm:grid-cols-2">
          {options.destinations.length === 0 && <p className="text-sm text-slate-500">No destinations yet: add one under Settings → Notifications.</p>}
          {options.destinations.map((d) => (
            <Checkbox key={d.id} label={`${d.name} (${d.type})${d.enabled ? '' : ' — disabled'}`} checked={form.destinationIds.includes(d.id)} onChange={(e) => toggle('destinationIds', d.id, e.target.checked)} />
          ))}
        </div>
        {errors.destination_ids && (
          <p role="alert" className="mt-1 text-sm text-rose-700 dark:text-rose-300">
            {errors.destination_ids}
          </p>
        )}
      </fieldset>
      <fieldset>
        <legend className="text-sm font-medium">Host groups</legend>
        <p className="text-xs text-slate-500 dark:text-slate-400">None ticked: the whole fleet.</p>
        <div className="mt-2 grid gap-2 sm:grid-cols-2">
          {options.host_groups.map((g) => (
            <Checkbox key={g.id} label={g.name} checked={form.hostGroupIds.includes(g.id)} onChange={(e) => toggle('hostGroupIds', g.id, e.target.checked)} />
          ))}
        </div>
      </fieldset>
      <Checkbox label="Enabled" hint="Disabled schedules do not run on their own; Run now still works." checked={form.enabled} onChange={(e) => set('enabled', e.target.checked)} />
    </Dialog>
  );
}
