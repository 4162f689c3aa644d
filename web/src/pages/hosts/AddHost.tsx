import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { Button, Card, Checkbox, FormError, TextField } from '../../components/forms';
import { splitErrors } from '../../components/formErrors';
import { PageHeader } from '../../components/PageHeader';
import { usePageTitle } from '../../usePageTitle';
import { InstallCommand } from './InstallCommand';
import { useLiveEvents, type LiveEvent } from './live';
import { hostsKey, useHost, useHostGroups } from './queries';

type Created = Schemas['HostCreateResponse'];

/** Where a new host is on its way to reporting. */
export type Arrival = { state: 'waiting' } | { state: 'connected' } | { state: 'reported'; packages: number };

/** The next arrival state after a live event about the new host (other hosts' events change nothing). */
export function nextArrival(current: Arrival, hostId: string, ev: LiveEvent): Arrival {
  if (ev.type === 'hello' || ev.data.hostId !== hostId) return current;
  if (ev.type === 'report') return { state: 'reported', packages: ev.data.packagesProcessed };
  if (ev.type === 'host_status' && ev.data.status === 'online' && current.state === 'waiting') return { state: 'connected' };
  return current;
}

/** Add a host: name and groups, then the install one-liner and a live wait for its agent. */
export default function AddHost() {
  usePageTitle('Add host');
  const [created, setCreated] = useState<Created | null>(null);
  return (
    <>
      <PageHeader
        title="Add host"
        description={
          created
            ? 'Install the agent on the host. This page turns green as soon as it reports.'
            : 'Name the host and choose its groups; the next step gives you the install command.'
        }
        actions={
          <Link to="/hosts" className="rounded-md px-3.5 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800">
            Back to hosts
          </Link>
        }
      />
      <ol className="mb-6 flex gap-4 text-sm" aria-label="Steps">
        <li aria-current={created ? undefined : 'step'} className={created ? 'text-slate-500' : 'font-semibold'}>
          1. Details
        </li>
        <li aria-current={created ? 'step' : undefined} className={created ? 'font-semibold' : 'text-slate-500'}>
          2. Install and connect
        </li>
      </ol>
      {created ? <Install created={created} /> : <Details onCreated={setCreated} />}
    </>
  );
}

function Details({ onCreated }: { onCreated: (c: Created) => void }) {
  const [name, setName] = useState('');
  const [groupIds, setGroupIds] = useState<string[]>([]);
  const groups = useHostGroups();
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: async () => unwrap(await api.POST('/hosts', { body: { friendly_name: name.trim(), hostGroupIds: groupIds } })),
    onSuccess: (c) => {
      void queryClient.invalidateQueries({ queryKey: hostsKey });
      onCreated(c);
    },
  });
  const errors = splitErrors(create.error, ['friendlyName', 'groupIds'] as const, {
    friendly_name: 'friendlyName',
    hostGroupIds: 'groupIds',
  });
  return (
    <Card title="Host details" className="max-w-2xl">
      <form
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <FormError>{errors.form}</FormError>
        <TextField
          label="Friendly name"
          required
          maxLength={255}
          autoFocus
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={errors.fields.friendlyName}
          hint="How the host is shown in PatchMon, for example web-01 or Payroll database."
        />
        <fieldset>
          <legend className="text-sm font-medium">Host groups</legend>
          {errors.fields.groupIds && <p className="text-sm text-rose-700 dark:text-rose-300">{errors.fields.groupIds}</p>}
          {groups.data && groups.data.length === 0 && (
            <p className="mt-1 text-sm text-slate-500 dark:text-slate-400">No host groups yet. You can add the host to groups later.</p>
          )}
          <div className="mt-2 grid gap-2 sm:grid-cols-2">
            {groups.data?.map((g) => (
              <Checkbox
                key={g.id}
                label={g.name}
                checked={groupIds.includes(g.id)}
                onChange={(e) => setGroupIds((ids) => (e.target.checked ? [...ids, g.id] : ids.filter((x) => x !== g.id)))}
              />
            ))}
          </div>
        </fieldset>
        <div className="flex justify-end">
          <Button type="submit" variant="primary" busy={create.isPending} disabled={!name.trim()}>
            Create host
          </Button>
        </div>
      </form>
    </Card>
  );
}

function Install({ created }: { created: Created }) {
  const [arrival, setArrival] = useState<Arrival>({ state: 'waiting' });
  const host = useHost(created.hostId);
  useLiveEvents((ev) => setArrival((a) => nextArrival(a, created.hostId, ev)));
  // An event missed while the stream reconnected still shows: the host query is refetched
  // on every (re)connect and after every event (see useLiveHostQueries).
  let shown = arrival;
  if (shown.state !== 'reported' && host.data?.status === 'active') shown = { state: 'reported', packages: host.data.totalPackages };
  else if (shown.state === 'waiting' && host.data?.connected) shown = { state: 'connected' };

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
      <Card title={`Install the agent on ${created.friendlyName}`} description="SSH into the host and run the command as root.">
        <InstallCommand commands={created.installCommands} apiId={created.apiId} apiKey={created.apiKey} />
      </Card>
      <WaitingPanel arrival={shown} hostId={created.hostId} name={created.friendlyName} />
    </div>
  );
}

function WaitingPanel({ arrival, hostId, name }: { arrival: Arrival; hostId: string; name: string }) {
  const tone =
    arrival.state === 'reported'
      ? 'border-emerald-300 bg-emerald-50 text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100'
      : 'border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900';
  return (
    <section
      aria-labelledby="arrival-title"
      data-testid="arrival"
      data-state={arrival.state}
      className={`rounded-xl border p-5 shadow-sm transition-colors ${tone}`}
    >
      <div role="status" aria-live="polite">
        {arrival.state === 'waiting' && (
          <>
            <h2 id="arrival-title" className="flex items-center gap-2 text-base font-semibold">
              <span className="h-3 w-3 animate-pulse rounded-full bg-amber-400" aria-hidden="true" />
              Waiting for the agent to connect…
            </h2>
            <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">
              Once the install command has run, the agent connects and sends its first report. This page updates by itself.
            </p>
          </>
        )}
        {arrival.state === 'connected' && (
          <>
            <h2 id="arrival-title" className="flex items-center gap-2 text-base font-semibold">
              <span className="h-3 w-3 animate-pulse rounded-full bg-blue-500" aria-hidden="true" />
              Agent connected, waiting for its first report…
            </h2>
            <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">The agent is collecting the host's packages and system facts.</p>
          </>
        )}
        {arrival.state === 'reported' && (
          <>
            <h2 id="arrival-title" className="flex items-center gap-2 text-base font-semibold">
              <span className="h-3 w-3 rounded-full bg-emerald-500" aria-hidden="true" />
              {name} is reporting
            </h2>
            <p className="mt-2 text-sm">
              The first report arrived with {arrival.packages} {arrival.packages === 1 ? 'package' : 'packages'}.
            </p>
            <Link
              to={`/hosts/${hostId}`}
              className="mt-4 inline-flex rounded-md bg-emerald-600 px-3.5 py-2 text-sm font-medium text-white hover:bg-emerald-700"
            >
              Open the host
            </Link>
          </>
        )}
      </div>
    </section>
  );
}
