/** Why the login page is shown, for the message above the form. */
export type LoginReason = 'expired' | 'signed-out';

const REASONS: readonly LoginReason[] = ['expired', 'signed-out'];

/**
 * A path inside this app that is safe to go to after sign-in: it must start with a single
 * slash, so a crafted link cannot send the user to another site (//evil.example, https:…).
 */
export function safeNext(value: string | null | undefined): string | null {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return null;
  // The login and setup pages themselves are never a destination.
  if (/^\/(login|setup|signup)(?:[/?#]|$)/.test(value)) return null;
  return value;
}

/** /login with the page to return to and the reason, e.g. /login?next=%2Fusers&reason=expired. */
export function loginPath({ next, reason }: { next?: string; reason?: LoginReason } = {}): string {
  const params = new URLSearchParams();
  const target = safeNext(next);
  if (target && target !== '/') params.set('next', target);
  if (reason) params.set('reason', reason);
  const query = params.toString();
  return query ? `/login?${query}` : '/login';
}

export function parseReason(value: string | null): LoginReason | null {
  return REASONS.find((r) => r === value) ?? null;
}

/** Messages for the error codes the single sign-on callback appends as /login?error=CODE. */
export const oidcErrorMessages: Record<string, string> = {
  session_expired: 'The single sign-on attempt took too long. Please try again.',
  invalid_state: 'The single sign-on response did not match this browser. Please try again.',
  provider_error: 'The identity provider reported an error. Please try again or contact an administrator.',
  email_not_verified: 'Your identity provider has not verified your email address, so it cannot be linked to an account here.',
  user_not_found: 'There is no PatchMon account for you, and accounts are not created automatically. Ask an administrator.',
  account_disabled: 'Your account is disabled. Contact an administrator.',
  authentication_failed: 'Single sign-on failed. Please try again.',
};

export function oidcErrorMessage(code: string | null): string | null {
  if (!code) return null;
  return oidcErrorMessages[code] ?? 'Single sign-on failed. Please try again.';
}
