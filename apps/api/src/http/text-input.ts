import type { FieldError } from '@app/platform';

export const BAD_TEXT_MESSAGE = 'must be valid text: no NUL characters and no unpaired UTF-16 surrogates';

/** Nesting beyond the JSON body's depth limit cannot come from a request; stop there rather than recurse on. */
const MAX_SCAN_DEPTH = 256;

/**
 * Text PostgreSQL can store and every validator can read: no NUL (PostgreSQL
 * text and jsonb refuse it) and no lone surrogate (not encodable as UTF-8;
 * the email validator's decodeURIComponent throws on it).
 */
export function isStorableText(value: string): boolean {
  return !value.includes('\0') && (value as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * Field errors for every string, or object key, in a parsed request body,
 * query or path parameter that breaks the one rule for text. Paths are
 * written as the validation errors write them (`definition.entry.all[1]`).
 */
export function badTextFields(value: unknown, path = '', out: FieldError[] = [], depth = 0): FieldError[] {
  if (typeof value === 'string') {
    if (!isStorableText(value)) out.push({ field: path || 'value', message: BAD_TEXT_MESSAGE });
    return out;
  }
  if (typeof value !== 'object' || value === null || depth > MAX_SCAN_DEPTH) return out;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) badTextFields(value[i], `${path}[${i}]`, out, depth + 1);
    return out;
  }
  for (const key of Object.keys(value)) {
    const field = path ? `${path}.${key}` : key;
    if (!isStorableText(key)) {
      out.push({ field: path ? `${path}.${JSON.stringify(key)}` : JSON.stringify(key), message: BAD_TEXT_MESSAGE });
    }
    badTextFields((value as Record<string, unknown>)[key], field, out, depth + 1);
  }
  return out;
}
