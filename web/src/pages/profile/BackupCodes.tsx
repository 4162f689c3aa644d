import { useEffect, useRef } from 'react';
import { Button, Notice } from '../../components/forms';
import { CopyButton } from '../../components/CopyButton';

/** The one-time display of new backup codes, with copy and download. */
export function BackupCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const text = codes.join('\n');
  const headingRef = useRef<HTMLHeadingElement>(null);

  // Moves focus here so keyboard and screen-reader users learn the codes exist.
  useEffect(() => headingRef.current?.focus(), []);

  const download = () => {
    const blob = new Blob([`PatchMon backup codes\nEach code works once.\n\n${text}\n`], { type: 'text/plain' });
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = 'patchmon-backup-codes.txt';
    link.click();
    URL.revokeObjectURL(url);
  };

  return (
    <section aria-labelledby="backup-codes-title" className="space-y-3 rounded-lg border border-amber-300 p-4 dark:border-amber-700">
      <h3 id="backup-codes-title" ref={headingRef} tabIndex={-1} className="font-semibold outline-none">
        Your backup codes
      </h3>
      <Notice tone="warning">
        These codes are shown only now. Save them somewhere safe: each one signs you in once if you lose your authenticator.
      </Notice>
      <ul aria-label="Backup codes" className="grid grid-cols-2 gap-2 font-mono text-sm sm:grid-cols-5">
        {codes.map((code) => (
          <li key={code} className="rounded bg-slate-100 px-2 py-1 text-center dark:bg-slate-800">
            {code}
          </li>
        ))}
      </ul>
      <div className="flex flex-wrap gap-2">
        <CopyButton text={text} label="Copy codes" />
        <Button onClick={download}>Download as text</Button>
        <Button variant="primary" onClick={onDone}>
          I have saved my codes
        </Button>
      </div>
    </section>
  );
}
