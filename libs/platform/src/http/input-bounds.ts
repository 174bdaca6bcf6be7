/**
 * The bounds every time and integer in a request must keep, so that what
 * passes validation is what PostgreSQL and the engine accept: an epoch time
 * beyond year 9999 is out of range for `timestamptz` arithmetic and ISO 8601
 * with four-digit years, and an integer bound for an `integer` column must fit
 * in it.
 */
export const MIN_TIME_MS = 0;
/** 9999-12-31T23:59:59.999Z */
export const MAX_TIME_MS = 253_402_300_799_999;
export const TIME_RANGE_DOC = 'between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z';

/** The largest value of a PostgreSQL `integer` column. */
export const INT4_MAX = 2_147_483_647;
