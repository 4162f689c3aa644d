import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef } from 'react';
import { useLiveEvents } from '../hosts/live';
import { dashboardKey } from './queries';

/** Refreshes at most this often however many hosts report. */
export const LIVE_THROTTLE_MS = 5_000;

/**
 * Keeps the dashboard live: refreshes its queries when hosts connect, disconnect or report
 * (throttled, so a large fleet reporting is not a query per report) and after the event
 * stream reconnects. The stream needs can_view_hosts; callers without it rely on the
 * queries' own intervals.
 */
export function useLiveDashboard() {
  const queryClient = useQueryClient();
  const state = useRef<{ last: number; timer?: ReturnType<typeof setTimeout> }>({ last: 0 });
  useEffect(() => () => clearTimeout(state.current.timer), []);

  const refresh = useCallback(() => {
    const s = state.current;
    if (s.timer) return;
    s.timer = setTimeout(
      () => {
        s.timer = undefined;
        s.last = Date.now();
        void queryClient.invalidateQueries({ queryKey: dashboardKey });
      },
      Math.max(0, s.last + LIVE_THROTTLE_MS - Date.now()),
    );
  }, [queryClient]);

  useLiveEvents((ev) => {
    if (ev.type === 'host_status' || ev.type === 'report') refresh();
  }, refresh);
}
