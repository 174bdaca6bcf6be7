/**
 * Version of the simulation semantics. Bump it whenever a change can alter any result for the
 * same input (fill rules, metrics definitions, JSON shape), so stored results stay comparable.
 */
export const ENGINE_VERSION = '1.0.0';
