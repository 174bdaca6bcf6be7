/**
 * Version of the simulation semantics. Bump it whenever a change can alter any result for the
 * same input (fill rules, metrics definitions, JSON shape, the fingerprint), so stored results stay
 * comparable. 1.1.0: fingerprint v2 (a regular time column hashed as its first time).
 */
export const ENGINE_VERSION = '1.1.0';
