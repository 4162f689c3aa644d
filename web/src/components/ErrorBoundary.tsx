import { Component, useContext, useId, useState, type ErrorInfo, type ReactNode } from 'react';
import { ToastContext } from './Toasts';

interface Props {
  children: ReactNode;
  /** When this value changes the boundary clears a caught error, e.g. on navigation. */
  resetKey?: unknown;
}

interface State {
  error: Error | null;
  componentStack: string;
  resetKey: unknown;
}

/** Text a user can paste into a bug report: what failed, where, and in which browser. */
export function buildErrorReport(error: Error, componentStack: string, now: Date = new Date()): string {
  const lines = [
    'PatchMon dashboard error report',
    `Time: ${now.toISOString()}`,
    `URL: ${window.location.href}`,
    `Browser: ${navigator.userAgent}`,
    `Build: ${import.meta.env.MODE}`,
    '',
    `${error.name}: ${error.message}`,
  ];
  if (error.stack) lines.push('', 'Stack:', error.stack);
  if (componentStack.trim()) lines.push('', 'Component stack:', componentStack.trim());
  return lines.join('\n');
}

export class ErrorBoundary extends Component<Props, State> {
  state: State = { error: null, componentStack: '', resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    if (props.resetKey !== state.resetKey) {
      return { error: null, componentStack: '', resetKey: props.resetKey };
    }
    return null;
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    this.setState({ componentStack: info.componentStack ?? '' });
    console.error('PatchMon dashboard error', error, info.componentStack);
  }

  private reset = () => this.setState({ error: null, componentStack: '' });

  render() {
    const { error, componentStack } = this.state;
    if (!error) return this.props.children;
    return <ErrorReport report={buildErrorReport(error, componentStack)} message={error.message} onRetry={this.reset} />;
  }
}

function ErrorReport({ report, message, onRetry }: { report: string; message: string; onRetry: () => void }) {
  const reportId = useId();
  const [copied, setCopied] = useState(false);

  const toast = useContext(ToastContext);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(report);
      setCopied(true);
      toast?.show('Error report copied to the clipboard.', { kind: 'success' });
    } catch {
      // Clipboard access needs a secure context and permission; selecting
      // the text lets the user copy it by hand instead.
      const area = document.getElementById(reportId);
      if (area instanceof HTMLTextAreaElement) area.select();
      toast?.show('Could not reach the clipboard. The report is selected: press Ctrl+C to copy it.', { kind: 'error' });
    }
  };

  return (
    <section
      aria-labelledby={`${reportId}-title`}
      className="mx-auto max-w-3xl rounded-xl border border-rose-300 bg-white p-6 shadow-sm dark:border-rose-800 dark:bg-slate-900"
    >
      <h1 id={`${reportId}-title`} className="text-lg font-semibold text-rose-700 dark:text-rose-300">
        Something went wrong on this page
      </h1>
      <p role="alert" className="mt-2 font-mono text-sm break-words">
        {message || 'An unexpected error stopped this page from rendering.'}
      </p>
      <p className="mt-2 text-sm text-slate-600 dark:text-slate-300">
        The rest of the dashboard still works. If this keeps happening, copy the report below into a bug report.
      </p>
      <label htmlFor={reportId} className="mt-4 block text-sm font-medium">
        Error report
      </label>
      <textarea
        id={reportId}
        readOnly
        value={report}
        rows={8}
        className="mt-1 w-full resize-y rounded-md border border-slate-300 bg-slate-50 p-2 font-mono text-xs dark:border-slate-700 dark:bg-slate-950"
      />
      <div className="mt-4 flex flex-wrap gap-2">
        <button
          type="button"
          onClick={copy}
          className="rounded-md bg-blue-600 px-3 py-2 text-sm font-medium text-white hover:bg-blue-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500"
        >
          {copied ? 'Copied' : 'Copy error report'}
        </button>
        <button
          type="button"
          onClick={onRetry}
          className="rounded-md border border-slate-300 px-3 py-2 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500 dark:border-slate-600 dark:hover:bg-slate-800"
        >
          Try again
        </button>
      </div>
    </section>
  );
}
