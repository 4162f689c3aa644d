import { useEffect } from 'react';

/** Sets the browser tab title to "<page> · PatchMon". */
export function usePageTitle(page: string): void {
  useEffect(() => {
    document.title = page ? `${page} · PatchMon` : 'PatchMon';
  }, [page]);
}
