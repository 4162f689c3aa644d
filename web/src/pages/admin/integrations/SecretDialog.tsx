import { CopyButton } from '../../../components/CopyButton';
import { Dialog } from '../../../components/Dialog';
import { Button, Notice } from '../../../components/forms';
import { apiCurlExample, scopeSummary, tokenType, typeLabels, type CreatedToken } from './model';

/** A value with a copy button, in a monospaced box that wraps. */
export function CopyBlock({ label, value, copyLabel }: { label: string; value: string; copyLabel?: string }) {
  return (
    <div>
      <div className="mb-1 flex items-center justify-between gap-2">
        <span className="text-sm font-medium">{label}</span>
        <CopyButton text={value} label={copyLabel ?? 'Copy'} />
      </div>
      <pre
        aria-label={label}
        tabIndex={0}
        className="max-h-64 overflow-auto rounded-md bg-slate-100 p-3 font-mono text-xs break-all whitespace-pre-wrap dark:bg-slate-950"
      >
        {value}
      </pre>
    </div>
  );
}

/**
 * Shown once, right after a credential is created: the secret cannot be read again, so
 * everything the administrator needs to use it is here, ready to copy.
 */
export function SecretDialog({ created, onClose }: { created: CreatedToken; onClose: () => void }) {
  const { token, usage } = created;
  const type = tokenType(token);
  const curl = type === 'api' ? apiCurlExample(usage.server_url, token.token_key, token.token_secret) : undefined;
  return (
    <Dialog
      wide
      title={`${typeLabels[type]} credential created`}
      description={<>“{token.token_name}” is ready. Copy what you need before closing this window.</>}
      onClose={onClose}
      footer={
        <Button variant="primary" onClick={onClose}>
          I have saved the secret
        </Button>
      }
    >
      <Notice tone="warning">{created.warning}</Notice>
      <CopyBlock label="Token key" value={token.token_key} />
      <CopyBlock label="Token secret" value={token.token_secret} />
      {type === 'api' && token.scopes && (
        <p className="text-sm">
          <span className="font-medium">Granted scopes: </span>
          <code className="font-mono text-xs">{scopeSummary(token.scopes)}</code>
        </p>
      )}
      {usage.one_liner && <CopyBlock label="Install one-liner" value={usage.one_liner} />}
      {usage.basic_auth && <CopyBlock label="Base64 encoded credentials" value={usage.basic_auth} />}
      {usage.gethomepage_yaml && <CopyBlock label="GetHomepage services.yml" value={usage.gethomepage_yaml} copyLabel="Copy Config" />}
      {curl && <CopyBlock label="Try it with curl" value={curl} />}
      {usage.examples.length > 0 && (
        <details className="rounded-md border border-slate-200 p-3 dark:border-slate-800">
          <summary className="cursor-pointer text-sm font-medium">More usage examples ({usage.examples.length})</summary>
          <div className="mt-3 space-y-3">
            {usage.examples.map((ex) => (
              <CopyBlock key={ex.title} label={ex.title} value={ex.command} />
            ))}
          </div>
        </details>
      )}
    </Dialog>
  );
}
