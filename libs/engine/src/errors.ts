export type EngineErrorCode =
  | 'INVALID_STRATEGY'
  /** Param values that a parameterized definition does not allow (range, grid, constraints). */
  | 'INVALID_PARAMS'
  | 'INVALID_MARKET_DATA'
  | 'INVALID_SETTINGS'
  | 'CANCELLED';

/**
 * The one error type the engine throws. `code` is stable and machine-readable; callers map it
 * (worker: bad strategy or data fails without retry; API: 400/422). `details` carries the
 * structured cause, e.g. the validation issues or `{ series, index }` of bad market data.
 */
export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
