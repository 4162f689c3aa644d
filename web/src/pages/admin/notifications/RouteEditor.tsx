import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, unwrap } from '../../../api/client';
import { Dialog } from '../../../components/Dialog';
import { Button, Checkbox, FormError, SelectField, TextField } from '../../../components/forms';
import { eventLabel, severityLabels, toggle, typeLabels, type Destination, type Options, type Route, type Severity } from './model';

/** Creates or replaces a route: which events go to which destinations. */
export function RouteEditor({
  route,
  destinations,
  options,
  onClose,
  onSaved,
}: {
  route?: Route;
  destinations: Destination[];
  options: Options;
  onClose: () => void;
  onSaved: (r: Route) => void;
}) {
  const [name, setName] = useState(route?.name ?? '');
  const [enabled, setEnabled] = useState(route?.enabled ?? true);
  const [eventTypes, setEventTypes] = useState<string[]>(route?.event_types ?? []);
  const [minSeverity, setMinSeverity] = useState<Severity>(route?.min_severity ?? 'informational');
  const [destinationIds, setDestinationIds] = useState<string[]>(route?.destination_ids ?? []);
  const [groupIds, setGroupIds] = useState<string[]>(route?.host_group_ids ?? []);
  const [hostIds, setHostIds] = useState<string[]>(route?.host_ids ?? []);
  const [hostFilter, setHostFilter] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState('');

  const save = useMutation({
    mutationFn: async () => {
      const body = { name: name.trim(), enabled, event_types: eventTypes, min_severity: minSeverity, destination_ids: destinationIds, host_group_ids: groupIds, host_ids: hostIds };
      if (route) {
        return unwrap(await api.PUT('/notifications/routes/{routeId}', { params: { path: { routeId: route.id } }, body }));
      }
      return unwrap(await api.POST('/notifications/routes', { body }));
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
    const found: Record<string, string> = {};
    if (!name.trim()) found.name = 'Give the route a name.';
    if (destinationIds.length === 0) found.destination_ids = 'Choose at least one destination.';
    setErrors(found);
    if (Object.keys(found).length === 0) save.mutate();
  };

  const shownHosts = options.hosts.filter((h) => h.name.toLowerCase().includes(hostFilter.toLowerCase())).slice(0, 200);

  return (
    <Dialog
      title={route ? `Edit route “${route.name}”` : 'New route'}
      description="Events that match every condition go to the chosen destinations, each destination once."
      onClose={onClose}
      onSubmit={submit}
      wide
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            {route ? 'Save' : 'Create route'}
          </Button>
        </>
      }
    >
      <FormError>{formError}</FormError>
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField label="Name" required value={name} onChange={(e) => setName(e.target.value)} error={errors.name} maxLength={100} />
        <SelectField label="Minimum severity" value={minSeverity} onChange={(e) => setMinSeverity(e.target.value as Severity)} error={errors.min_severity}>
          {options.severities.map((s) => (
            <option key={s} value={s}>
              {severityLabels[s]} and above
            </option>
          ))}
        </SelectField>
      </div>
      <CheckGroup legend="Destinations" error={errors.destination_ids}>
        {destinations.length === 0 && <p className="text-sm text-slate-500">Create a destination first.</p>}
        {destinations.map((d) => (
          <Checkbox
            key={d.id}
            label={`${d.name} (${typeLabels[d.type]})${d.enabled ? '' : ' — disabled'}`}
            checked={destinationIds.includes(d.id)}
            onChange={(e) => setDestinationIds(toggle(destinationIds, d.id, e.target.checked))}
          />
        ))}
      </CheckGroup>
      <CheckGroup legend="Event types" hint="None ticked: every event type.">
        {options.event_types.map((t) => (
          <Checkbox key={t} label={eventLabel(t)} checked={eventTypes.includes(t)} onChange={(e) => setEventTypes(toggle(eventTypes, t, e.target.checked))} />
        ))}
      </CheckGroup>
      <CheckGroup legend="Host groups" hint="With no groups and no hosts ticked the route matches every host, and events about no host (such as server updates).">
        {options.host_groups.length === 0 && <p className="text-sm text-slate-500">No host groups yet.</p>}
        {options.host_groups.map((g) => (
          <Checkbox key={g.id} label={g.name} checked={groupIds.includes(g.id)} onChange={(e) => setGroupIds(toggle(groupIds, g.id, e.target.checked))} />
        ))}
      </CheckGroup>
      <CheckGroup legend="Hosts">
        {options.hosts.length > 10 && (
          <TextField label="Filter hosts" value={hostFilter} onChange={(e) => setHostFilter(e.target.value)} className="sm:col-span-2" />
        )}
        {options.hosts.length === 0 && <p className="text-sm text-slate-500">No hosts yet.</p>}
        {shownHosts.map((h) => (
          <Checkbox key={h.id} label={h.name} checked={hostIds.includes(h.id)} onChange={(e) => setHostIds(toggle(hostIds, h.id, e.target.checked))} />
        ))}
      </CheckGroup>
      <Checkbox label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
    </Dialog>
  );
}

function CheckGroup({ legend, hint, error, children }: { legend: string; hint?: string; error?: string; children: React.ReactNode }) {
  return (
    <fieldset>
      <legend className="text-sm font-medium">{legend}</legend>
      {hint && <p className="text-xs text-slate-500 dark:text-slate-400">{hint}</p>}
      <div className="mt-2 grid max-h-48 gap-2 overflow-y-auto sm:grid-cols-2">{children}</div>
      {error && (
        <p role="alert" className="mt-1 text-sm text-rose-700 dark:text-rose-300">
          {error}
        </p>
      )}
    </fieldset>
  );
}
