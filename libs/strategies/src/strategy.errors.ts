import { AppError, FieldError } from '@app/platform';

export class StrategyNotFoundError extends AppError {
  constructor(id: string, version?: number) {
    super(
      'STRATEGY_NOT_FOUND',
      'not_found',
      version === undefined ? `Strategy ${id} was not found.` : `Strategy ${id} has no version ${version}.`,
      version === undefined ? { strategyId: id } : { strategyId: id, version },
    );
  }
}

/** The engine's validator rejected the definition; `errors` carry its JSON paths under `definition`. */
export class StrategyInvalidError extends AppError {
  constructor(errors: FieldError[]) {
    super(
      'STRATEGY_INVALID',
      'invalid',
      `The strategy definition is not valid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
      {},
      errors,
    );
  }
}
