export type ResearchErrorCode =
  | 'INVALID_SPACE'
  | 'SPACE_TOO_LARGE'
  | 'TRIAL_BUDGET_EXCEEDED'
  | 'WALK_FORWARD_NOT_ALLOWED'
  | 'NO_FEASIBLE_PARAMS'
  | 'INVALID_OBJECTIVE'
  | 'INVALID_WALK_FORWARD'
  | 'INVALID_STATISTICS_INPUT';

/**
 * The one error type the research core throws, like EngineError for the engine: `code` is stable,
 * `path` names the offending input field (`space.fast.max`) so the API can answer 400 with it,
 * and `details` carries numbers a caller shows (a grid's size and the budget it exceeds).
 */
export class ResearchError extends Error {
  constructor(
    readonly code: ResearchErrorCode,
    message: string,
    readonly path?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'ResearchError';
  }
}
