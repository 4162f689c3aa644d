import type { ReactNode } from 'react';
import { BrandLogo } from '../../components/Brand';
import { ThemeToggle } from '../../components/ThemeToggle';

/** The centred card around the sign-in, sign-up and first-time setup forms. */
export function AuthFrame({ title, subtitle, children, wide }: { title: string; subtitle?: ReactNode; children: ReactNode; wide?: boolean }) {
  return (
    <div className="flex min-h-dvh flex-col">
      <div className="flex justify-end p-3">
        <ThemeToggle />
      </div>
      <main id="main" className="flex flex-1 items-start justify-center px-4 pb-16 sm:items-center">
        <div className={`w-full ${wide ? 'max-w-lg' : 'max-w-sm'}`}>
          <div className="mb-6 flex flex-col items-center text-center">
            <span className="flex items-center gap-2 text-xl font-semibold tracking-tight">
              <BrandLogo size="lg" />
            </span>
            <h1 className="mt-6 text-2xl font-semibold tracking-tight">{title}</h1>
            {subtitle && <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">{subtitle}</p>}
          </div>
          <div className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
            {children}
          </div>
        </div>
      </main>
    </div>
  );
}
