import { useTheme, type Theme } from '../theme';
import { MoonIcon, SunIcon } from './icons';

/** Flips light/dark; onChange hears the new theme (the layout saves it to the user's profile). */
export function ThemeToggle({ onChange }: { onChange?: (theme: Theme) => void }) {
  const { theme, setTheme } = useTheme();
  const dark = theme === 'dark';
  return (
    <button
      type="button"
      onClick={() => {
        const next: Theme = dark ? 'light' : 'dark';
        setTheme(next);
        onChange?.(next);
      }}
      aria-label="Dark theme"
      aria-pressed={dark}
      title={dark ? 'Switch to the light theme' : 'Switch to the dark theme'}
      className="inline-flex h-10 w-10 items-center justify-center rounded-md text-slate-600 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white"
    >
      {dark ? <MoonIcon className="h-5 w-5" /> : <SunIcon className="h-5 w-5" />}
    </button>
  );
}
