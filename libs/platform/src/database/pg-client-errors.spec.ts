import { Client } from 'pg';
import { describePgError, guardPgClientErrors } from './pg-client-errors';

describe('guardPgClientErrors', () => {
  const lines: string[] = [];
  beforeAll(() => guardPgClientErrors((line) => lines.push(line)));
  beforeEach(() => (lines.length = 0));

  const adminShutdown = () =>
    Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

  it('logs an error event no one listens for instead of throwing it', () => {
    const client = new Client();
    expect(() => client.emit('error', adminShutdown())).not.toThrow();
    expect(lines).toEqual([
      'PostgreSQL connection error on an idle connection: terminating connection due to administrator command (57P01)',
    ]);
  });

  it('still survives a library that removed every listener', () => {
    const client = new Client();
    client.on('error', () => undefined);
    client.removeAllListeners();
    expect(() => client.emit('error', adminShutdown())).not.toThrow();
    expect(lines).toHaveLength(1);
  });

  it('leaves clients with listeners and other events alone', () => {
    const client = new Client();
    const seen: unknown[] = [];
    client.on('error', (err) => seen.push(err));
    client.on('notice', (n) => seen.push(n));
    const err = adminShutdown();
    client.emit('error', err);
    client.emit('notice', 'hello');
    expect(seen).toEqual([err, 'hello']);
    expect(lines).toEqual([]);
  });

  it('is installed once however often it is called', () => {
    guardPgClientErrors(() => lines.push('second'));
    new Client().emit('error', adminShutdown());
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toBe('second');
  });

  it('describes non-errors without a stack', () => {
    expect(describePgError('boom')).toBe('PostgreSQL connection error on an idle connection: boom');
  });
});
