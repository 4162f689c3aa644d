// jsdom has no matchMedia. This stand-in answers (prefers-color-scheme: dark)
// from a switch the tests flip, and notifies listeners like a browser does.

type Listener = (event: MediaQueryListEvent) => void;

let dark = false;
const listeners = new Set<Listener>();

function mediaQueryList(query: string): MediaQueryList {
  const matches = () => query.includes('prefers-color-scheme: dark') && dark;
  return {
    media: query,
    get matches() {
      return matches();
    },
    onchange: null,
    addEventListener: (_type: string, listener: Listener) => listeners.add(listener),
    removeEventListener: (_type: string, listener: Listener) => listeners.delete(listener),
    addListener: (listener: Listener) => listeners.add(listener),
    removeListener: (listener: Listener) => listeners.delete(listener),
    dispatchEvent: () => false,
  } as unknown as MediaQueryList;
}

Object.defineProperty(window, 'matchMedia', { configurable: true, writable: true, value: mediaQueryList });

/** Sets the system colour scheme and tells listeners, as when the OS setting flips. */
export function setSystemDark(value: boolean): void {
  dark = value;
  for (const listener of [...listeners]) {
    listener({ matches: value, media: '(prefers-color-scheme: dark)' } as MediaQueryListEvent);
  }
}

export function resetMedia(): void {
  dark = false;
  listeners.clear();
}
