import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

export type Theme = 'light' | 'dark';

/** What a user chose: a theme, or "follow the system". Stored per user on the server too. */
export type ThemePreference = Theme | 'system';

/** localStorage key holding the user's explicit choice; absent means "follow the system". */
export const THEME_STORAGE_KEY = 'patchmon.theme';

const DARK_QUERY = '(prefers-color-scheme: dark)';

function isTheme(value: unknown): value is Theme {
  return value === 'light' || value === 'dark';
}

/** The stored choice, or null when none was made or storage is unavailable (private mode, disabled cookies). */
export function readStoredTheme(): Theme | null {
  try {
    const value = window.localStorage.getItem(THEME_STORAGE_KEY);
    return isTheme(value) ? value : null;
  } catch {
    return null;
  }
}

function writeStoredTheme(theme: Theme | null): void {
  try {
    if (theme) window.localStorage.setItem(THEME_STORAGE_KEY, theme);
    else window.localStorage.removeItem(THEME_STORAGE_KEY);
  } catch {
    // The choice then lasts for this page only, which is the best we can do.
  }
}

export function systemTheme(): Theme {
  if (typeof window.matchMedia !== 'function') return 'light';
  return window.matchMedia(DARK_QUERY).matches ? 'dark' : 'light';
}

export function initialTheme(): Theme {
  return readStoredTheme() ?? systemTheme();
}

/** Applies a theme to the document; called before the first render too, so the page never flashes the wrong one. */
export function applyTheme(theme: Theme): void {
  const root = document.documentElement;
  root.classList.toggle('dark', theme === 'dark');
  root.style.colorScheme = theme;
}

interface ThemeContextValue {
  theme: Theme;
  /** The explicit choice, or 'system' while the system setting decides. */
  preference: ThemePreference;
  setTheme: (theme: Theme) => void;
  /** Applies a preference, e.g. the one saved in the user's profile. */
  setPreference: (preference: ThemePreference) => void;
  toggleTheme: () => void;
}

const ThemeContext = createContext<ThemeContextValue | null>(null);

export function ThemeProvider({ children }: { children: ReactNode }) {
  const [theme, setThemeState] = useState<Theme>(initialTheme);
  // Only an explicit choice is persisted; until then the system setting keeps winning.
  const [explicit, setExplicit] = useState(() => readStoredTheme() !== null);

  useEffect(() => {
    applyTheme(theme);
  }, [theme]);

  useEffect(() => {
    if (explicit || typeof window.matchMedia !== 'function') return;
    const media = window.matchMedia(DARK_QUERY);
    const onChange = (event: MediaQueryListEvent) => setThemeState(event.matches ? 'dark' : 'light');
    media.addEventListener('change', onChange);
    return () => media.removeEventListener('change', onChange);
  }, [explicit]);

  const setTheme = useCallback((next: Theme) => {
    writeStoredTheme(next);
    setExplicit(true);
    setThemeState(next);
  }, []);

  const setPreference = useCallback(
    (next: ThemePreference) => {
      if (next !== 'system') {
        setTheme(next);
        return;
      }
      writeStoredTheme(null);
      setExplicit(false);
      setThemeState(systemTheme());
    },
    [setTheme],
  );

  const toggleTheme = useCallback(() => setTheme(theme === 'dark' ? 'light' : 'dark'), [theme, setTheme]);

  const preference: ThemePreference = explicit ? theme : 'system';
  const value = useMemo(
    () => ({ theme, preference, setTheme, setPreference, toggleTheme }),
    [theme, preference, setTheme, setPreference, toggleTheme],
  );
  return <ThemeContext.Provider value={value}>{children}</ThemeContext.Provider>;
}

export function useTheme(): ThemeContextValue {
  const value = useContext(ThemeContext);
  if (!value) throw new Error('useTheme must be used inside <ThemeProvider>');
  return value;
}
