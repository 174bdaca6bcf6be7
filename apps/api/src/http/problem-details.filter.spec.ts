import { Logger } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { AppError, DependencyUnavailableError } from '@app/platform';
import { logProblem } from './problem-details.filter';
import { toProblem } from './problem-details';

describe('logProblem', () => {
  const calls: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const logger = {
    error: (fields: Record<string, unknown>, message: string) => calls.push({ level: 'error', fields, message }),
    warn: (fields: Record<string, unknown>, message: string) => calls.push({ level: 'warn', fields, message }),
  } as unknown as Logger;
  beforeEach(() => (calls.length = 0));
  const log = (err: unknown) => logProblem(logger, err, toProblem(err, 'r-1'), 'r-1');

  it('logs nothing beyond the access line for a client error', () => {
    log(new AppError('STRATEGY_NOT_FOUND', 'not_found', 'No such strategy.'));
    expect(calls).toEqual([]);
  });

  it('logs an unexpected failure as an error, with the error for its serializer', () => {
    const err = new TypeError('x is undefined');
    log(err);
    expect(calls).toEqual([
      { level: 'error', fields: { err, requestId: 'r-1', code: 'INTERNAL_ERROR' }, message: 'x is undefined' },
    ]);
  });

  it('logs a named dependency state as a warning: the code, and the cause shape without stack or values', () => {
    const failed = new QueryFailedError('INSERT INTO api_keys (key_hash) VALUES ($1)', ['secret-hash-99'], {
      message: 'canceling statement due to statement timeout',
      code: '57014',
    } as unknown as Error);
    log(new DependencyUnavailableError('database', failed));
    log(new AppError('AI_DISABLED', 'unavailable', 'The AI assistant is not configured.'));
    expect(calls.map((c) => [c.level, c.fields.code])).toEqual([
      ['warn', 'DEPENDENCY_UNAVAILABLE'],
      ['warn', 'AI_DISABLED'],
    ]);
    expect(calls[0].fields.error).toEqual({
      type: 'QueryFailedError',
      message: 'canceling statement due to statement timeout',
      code: '57014',
      query: 'INSERT INTO api_keys (key_hash) VALUES ($1)',
    });
    expect(calls[1].fields.error).toBeUndefined();
    expect(JSON.stringify(calls)).not.toMatch(/secret-hash|stack/);
  });
});
