import { useState } from 'react';
import { Button } from './forms';
import { CopyIcon } from './icons';
import { useToast } from './Toasts';

/** Copies text to the clipboard and says so; explains when the clipboard is out of reach. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const toast = useToast();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      toast.show('Copied to the clipboard.', { kind: 'success', duration: 2500 });
    } catch {
      toast.show('Could not reach the clipboard (it needs HTTPS or localhost). Select the text and copy it by hand.', {
        kind: 'error',
      });
    }
  };
  return (
    <Button size="sm" onClick={() => void copy()}>
      <CopyIcon className="h-4 w-4" />
      {copied ? 'Copied' : label}
    </Button>
  );
}
