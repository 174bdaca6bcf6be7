import { AppError } from '@app/platform';
import { toProblem } from './problem-details';

describe('toProblem', () => {
  it('keeps the standard members when an extension has the same name', () => {
    const err = new AppError('BACKTEST_NOT_COMPLETED', 'conflict', 'Backtest b is queued.', {
      status: 'queued',
      type: 'x',
      code: 'OTHER',
      requestId: 'forged',
      backtestStatus: 'queued',
    });
    expect(toProblem(err, 'req-1')).toMatchObject({
      status: 409,
      code: 'BACKTEST_NOT_COMPLETED',
      type: 'https://quant-backend.dev/problems/backtest-not-completed',
      requestId: 'req-1',
      backtestStatus: 'queued',
    });
  });

  it('answers the router errors without echoing the URL', () => {
    const badUrl = Object.assign(new Error("'/%ff' is not a valid url component"), {
      code: 'FST_ERR_BAD_URL',
      statusCode: 400,
    });
    const problem = toProblem(badUrl, 'req-2');
    expect(problem).toMatchObject({ status: 400, code: 'MALFORMED_URL' });
    expect(JSON.stringify(problem)).not.toContain('%ff');
  });
});
