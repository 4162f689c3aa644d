import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { hostKey, hostsKey } from './queries';

/** A message of GET /api/v1/ws/events: {"type": ..., "data": {...}}. */
export type LiveEvent =
  | { type: 'hello'; data: { replica: string; version: number; maxAgeSeconds: number } }
  | { type: 'host_status'; data: { hostId: string; apiId: string; status: 'online' | 'offline'; previous: string; reason: string; at: string } }
  | {
      type: 'report';
      data: {
        hostId: string;
        apiId: string;
        kind: 'full' | 'partial';
        packagesProcessed: number;
        updatesAvailable: number;
        securityUpdates: number;
        needsReboot: boolean;
        at: string;
      };
    }
  | { type: 'command_result' | 'agent_event'; data: { hostId?: string } & Record<string, unknown> };

/** Parses one stream message; anything that is not a known event is null. */
export function parseLiveEvent(raw: unknown): LiveEvent | null {
  if (typeof raw !== 'string') return null;
  try {
    const msg = JSON.parse(raw) as { type?: unknown; data?: unknown };
    if (typeof msg.type !== 'string' || !msg.data || typeof msg.data !== 'object') return null;
    if (!['hello', 'host_status', 'report', 'command_result', 'agent_event'].includes(msg.type)) return null;
    return msg as LiveEvent;
  } catch {
    return null;
  }
}

/** The host an event is about, if any. */
export function eventHost(ev: LiveEvent): string | undefined {
  return ev.type === 'hello' ? undefined : (ev.data.hostId as string | undefined);
}

/** Milliseconds to wait before reconnect attempt n (1, 2, …): doubling from 1 s up to 30 s. */
export function reconnectDelay(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));
}

function streamURL(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}/api/v1/ws/events`;
}

/**
 * Keeps a connection to the live event stream while mounted and calls onEvent for every
 * event; reconnects with backoff when the server closes it (it does so periodically to
 * re-check the session). onConnected fires on every (re)connect, so callers can refetch
 * whatever they may have missed while disconnected.
 */
export function useLiveEvents(onEvent: (ev: LiveEvent) => void, onConnected?: () => void) {
  const handlers = useRef({ onEvent, onConnected });
  handlers.current = { onEvent, onConnected };
  useEffect(() => {
    if (typeof WebSocket === 'undefined') return;
    let socket: WebSocket | null = null;
    let timer: number | undefined;
    let attempt = 0;
    let stopped = false;
    const open = () => {
      socket = new WebSocket(streamURL());
      socket.onmessage = (m) => {
        const ev = parseLiveEvent(m.data);
        if (!ev) return;
        if (ev.type === 'hello') {
          attempt = 0;
          handlers.current.onConnected?.();
        }
        handlers.current.onEvent(ev);
      };
      socket.onclose = () => {
        if (stopped) return;
        attempt += 1;
        timer = window.setTimeout(open, reconnectDelay(attempt));
      };
    };
    open();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      socket?.close();
    };
  }, []);
}

/** How often at most the host list is refetched because of live events. */
export const LIST_REFRESH_MS = 3000;

/**
 * Coalesces calls: the first runs at once, later ones within `ms` run once at the end of
 * the window. A fleet reporting hundreds of times a second thus refreshes a list page
 * every few seconds, not hundreds of times.
 */
export function throttle(fn: () => void, ms: number): { call: () => void; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending = false;
  const fire = () => {
    timer = undefined;
    if (pending) {
      pending = false;
      fn();
      timer = setTimeout(fire, ms);
    }
  };
  return {
    call: () => {
      if (timer === undefined) {
        fn();
        timer = setTimeout(fire, ms);
      } else {
        pending = true;
      }
    },
    cancel: () => {
      clearTimeout(timer);
      timer = undefined;
      pending = false;
    },
  };
}

/**
 * Refreshes host queries when a host's agent connects or disconnects or a report arrives:
 * the host pages show live state without polling. The host's own page refreshes at once;
 * lists refresh at most every LIST_REFRESH_MS.
 */
export function useLiveHostQueries() {
  const queryClient = useQueryClient();
  const lists = useRef<ReturnType<typeof throttle> | null>(null);
  lists.current ??= throttle(() => {
    void queryClient.invalidateQueries({ queryKey: hostsKey, predicate: (q) => q.queryKey[1] !== 'detail' });
  }, LIST_REFRESH_MS);
  useEffect(() => () => lists.current?.cancel(), []);
  useLiveEvents(
    (ev) => {
      if (ev.type !== 'host_status' && ev.type !== 'report') return;
      void queryClient.invalidateQueries({ queryKey: hostKey(ev.data.hostId) });
      lists.current?.call();
    },
    () => void queryClient.invalidateQueries({ queryKey: hostsKey }),
  );
}
