import { ApiError } from '../api/client';

export interface SplitErrors<F extends string> {
  /** Messages for fields of this form, shown under each field. */
  fields: Partial<Record<F, string>>;
  /** A message about the form as a whole, or null. */
  form: string | null;
}

/**
 * Puts an API error under the field it names when the form has that field, and above
 * the form otherwise. `aliases` maps server field names to this form's (password → newPassword).
 */
export function splitErrors<F extends string>(
  err: unknown,
  fields: readonly F[],
  aliases: Partial<Record<string, F>> = {},
): SplitErrors<F> {
  if (!err) return { fields: {}, form: null };
  if (err instanceof ApiError) {
    const field = err.field ? (aliases[err.field] ?? err.field) : undefined;
    if (field && (fields as readonly string[]).includes(field)) {
      return { fields: { [field]: err.message } as Partial<Record<F, string>>, form: null };
    }
    if (err.status === 429 && err.retryAfter) {
      return { fields: {}, form: `${err.message} (try again in ${Math.max(1, Math.ceil(err.retryAfter / 60))} min)` };
    }
    return { fields: {}, form: err.message };
  }
  if (err instanceof Error) {
    return { fields: {}, form: err.message === 'Failed to fetch' ? 'Cannot reach the PatchMon server.' : err.message };
  }
  return { fields: {}, form: String(err) };
}
