import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { dashboardKey } from './queries';

/** Refreshes at most this often however many hosts report. */
const THROTTLE_MS = 5_000;
const MAX_BACKOFF_MS = 60_000;

/** Stream messages that change what the dashboard shows. */
const RELEVANT = new Set(['host_status', 'report']);

/**
 * Keeps the dashboard live: listens to /api/v1/ws/events and refreshes the dashboard's
 * queries when hosts connect, disconnect or report (throttled), and after reconnecting.
 * The stream needs can_view_hosts; without it the queries' own intervals apply.
 */
export function useLiveDashboard(enabled: boolean) {
  const queryClient = useQueryClient();
  useEffect(() => {
    if (!enabled || typeof WebSocket === 'undefined') return;
    let socket: WebSocket | null = null;
    let stopped = false;
    let retry = 1_000;
    let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
    let refreshTimer: ReturnType<typeof setTimeout> | undefined;
    let lastRefresh = 0;

    const refresh = () => {
      if (refreshTimer) return;
      const wait = Math.max(0, lastRefresh + THROTTLE_MS - Date.now());
      refreshTimer = setTimeout(() => {
        refreshTimer = undefined;
        lastRefresh = Date.now();
        void queryClient.invalidateQueries({ queryKey: dashboardKey });
      }, wait);
    };

    const connect = () => {
      const url = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/api/v1/ws/events`;
      socket = new WebSocket(url);
      socket.onopen = () => {
        retry = 1_000;
      };
      socket.onmessage = (event) => {
        try {
          const msg = JSON.parse(String(event.data)) as { type?: string };
          // hello arrives on every (re)connect: catch up on what was missed meanwhile.
          if (msg.type && (RELEVANT.has(msg.type) || msg.type === 'hello')) refresh();
        } catch {
          // Not JSON: nothing the dashboard understands.
        }
      };
      socket.onclose = () => {
        socket = null;
        if (stopped) return;
        reconnectTimer = setTimeout(connect, retry);
        retry = Math.min(retry * 2, MAX_BACKOFF_MS);
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(reconnectTimer);
      clearTimeout(refreshTimer);
      socket?.close();
    };
  }, [enabled, queryClient]);
}
