import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api, unwrap, type Schemas } from '../api/client';
import { useTheme } from '../theme';
import { ShieldIcon } from './icons';

export type Branding = Schemas['Branding'];

export const brandingQueryKey = ['settings', 'branding'] as const;

/** The logos and favicon the server serves (GET /settings/branding, public). */
export function useBranding() {
  return useQuery({
    queryKey: brandingQueryKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/settings/branding', { signal })),
    staleTime: 5 * 60_000,
    retry: false,
  });
}

/** Points the page's favicon at the current (uploaded or default) one. */
export function useFavicon(branding: Branding | undefined) {
  const href = branding?.favicon.url;
  useEffect(() => {
    if (!href) return;
    let link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
    if (!link) {
      link = document.createElement('link');
      link.rel = 'icon';
      document.head.appendChild(link);
    }
    link.removeAttribute('type');
    link.href = href;
  }, [href]);
}

/**
 * The product mark: an uploaded logo for the current theme (the dark-background logo in
 * dark mode, falling back to the other one), else the built-in shield and name.
 */
export function BrandLogo({ size = 'md' }: { size?: 'md' | 'lg' }) {
  const { theme } = useTheme();
  const branding = useBranding();
  useFavicon(branding.data);
  const b = branding.data;
  const [first, second] = theme === 'dark' ? [b?.logoDark, b?.logoLight] : [b?.logoLight, b?.logoDark];
  const logo = first?.custom ? first : second?.custom ? second : undefined;
  if (logo) {
    return <img src={logo.url} alt="PatchMon" className={size === 'lg' ? 'h-10 max-w-60 object-contain' : 'h-8 max-w-48 object-contain'} />;
  }
  return (
    <>
      <ShieldIcon className={`${size === 'lg' ? 'h-7 w-7' : 'h-6 w-6'} text-blue-600 dark:text-blue-400`} />
      PatchMon
    </>
  );
}
