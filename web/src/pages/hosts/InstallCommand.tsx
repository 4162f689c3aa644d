import { useState } from 'react';
import { CopyButton } from '../../components/CopyButton';
import { Checkbox } from '../../components/forms';
import type { InstallCommands } from './queries';

/** The install one-liner for a pair of options. */
export function pickCommand(cmds: InstallCommands, force: boolean, selfSigned: boolean): string {
  if (force && selfSigned) return cmds.forceSelfSigned;
  if (force) return cmds.force;
  if (selfSigned) return cmds.selfSigned;
  return cmds.standard;
}

/**
 * The install one-liner with its two options, as the upstream "adding a host" screen has
 * them: force install (bypass broken packages) and accepting a self-signed certificate.
 */
export function InstallCommand({ commands, apiId, apiKey }: { commands: InstallCommands; apiId: string; apiKey: string }) {
  const [force, setForce] = useState(false);
  const [selfSigned, setSelfSigned] = useState(commands.selfSignedDefault);
  const command = pickCommand(commands, force, selfSigned);
  return (
    <div className="space-y-4">
      <div className="grid gap-3 sm:grid-cols-2">
        <Checkbox
          label="Force install (bypass broken packages)"
          hint="Lets the installer carry on when the package manager reports broken dependencies."
          checked={force}
          onChange={(e) => setForce(e.target.checked)}
        />
        <Checkbox
          label="Ignore self-signed certificate"
          hint="For a server with a self-signed certificate: curl -k, and the agent skips certificate checks."
          checked={selfSigned}
          onChange={(e) => setSelfSigned(e.target.checked)}
        />
      </div>
      <div>
        <div className="mb-1 flex items-center justify-between gap-2">
          <p className="text-sm font-medium" id="install-command-label">
            Run this as root on the host
          </p>
          <CopyButton text={command} label="Copy command" />
        </div>
        <pre
          aria-labelledby="install-command-label"
          data-testid="install-command"
          className="overflow-x-auto rounded-md bg-slate-950 p-3 text-xs break-all whitespace-pre-wrap text-slate-100"
        >
          {command}
        </pre>
      </div>
      <dl className="grid gap-2 text-sm sm:grid-cols-[auto_1fr_auto] sm:items-center">
        <dt className="font-medium">API ID</dt>
        <dd className="font-mono text-xs break-all" data-testid="api-id">
          {apiId}
        </dd>
        <dd>
          <CopyButton text={apiId} label="Copy ID" />
        </dd>
        <dt className="font-medium">API key</dt>
        <dd className="font-mono text-xs break-all" data-testid="api-key">
          {apiKey}
        </dd>
        <dd>
          <CopyButton text={apiKey} label="Copy key" />
        </dd>
      </dl>
      <p className="text-xs text-slate-500 dark:text-slate-400">
        The API key is shown only now; PatchMon keeps a hash of it. Regenerate the credentials from the host's page if it is lost.
      </p>
    </div>
  );
}
