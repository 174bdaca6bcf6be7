/**
 * Version of the simulation semantics. Bump it whenever a change can alter any result for the
 * same input (fill rules, metrics definitions, JSON shape, the fingerprint), so stored results stay
 * comparable. 1.1.0: fingerprint v2 (a regular time column hashed as its first time). 1.2.0:
 * fingerprint v3: detail bars and prints stream in chunks, so each of their columns is hashed on
 * its own (a hash over one column after another needs the whole series at hand); results are
 * otherwise unchanged.
 */
export const ENGINE_VERSION = '1.2.0';
