import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../config/app-config';
import { pinoOptions, requestLogContextEnabled } from './logging.module';

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('pinoOptions', () => {
  const config = loadConfig({ LOG_FORMAT: 'json', LOG_LEVEL: 'info' });

  it('writes JSON lines with the service name and message key', () => {
    const out = capture();
    pino(pinoOptions(config, 'api'), out.stream).info({ requestId: 'r1' }, 'hello');
    expect(out.lines()[0]).toMatchObject({ service: 'api', msg: 'hello', requestId: 'r1', level: 30 });
  });

  it('redacts passwords, tokens, keys and authorization wherever code logs them', () => {
    const out = capture();
    const log = pino(pinoOptions(config, 'api'), out.stream);
    log.info({
      password: 'hunter2',
      user: { email: 'a@b.c', password: 'hunter2' },
      session: { accessToken: 'tok-a', refreshToken: 'tok-r', token: 'tok' },
      key: { apiKey: 'qk_live_x', secret: 's3cr3t', passphrase: 'pp' },
      headers: { authorization: 'Bearer abc' },
    });
    const text = JSON.stringify(out.lines()[0]);
    for (const secret of ['hunter2', 'tok-a', 'tok-r', '"tok"', 'qk_live_x', 's3cr3t', '"pp"', 'Bearer abc']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('a@b.c');
    expect(text).toContain('[redacted]');
  });

  it('uses pretty output outside production unless told otherwise', () => {
    expect(pinoOptions(loadConfig({}), 'api').transport).toMatchObject({ target: 'pino-pretty' });
    expect(
      pinoOptions(
        loadConfig({
          NODE_ENV: 'production',
          DATABASE_URL: 'postgres://x/y',
          JWT_SECRET: 'x'.repeat(32),
          ENCRYPTION_KEY: '0'.repeat(64),
        }),
        'api',
      ).transport,
    ).toBeUndefined();
  });
});

describe('requestLogContextEnabled', () => {
  const withSetting = (LOG_REQUEST_CONTEXT?: 'auto' | 'on' | 'off', NODE_OPTIONS?: string) =>
    loadConfig({ LOG_REQUEST_CONTEXT, NODE_OPTIONS });

  it.each([
    ['v20.20.2', [], undefined, false],
    ['v22.23.3', [], undefined, false],
    ['v22.23.3', ['--experimental-async-context-frame'], undefined, true],
    ['v22.23.3', [], '--max-old-space-size=512 --experimental-async-context-frame', true],
    ['v24.21.0', [], undefined, true],
    ['v24.21.0', ['--no-async-context-frame'], undefined, false],
    ['v24.21.0', [], '--no-async-context-frame', false],
    ['v26.1.0', ['--max-old-space-size=512'], undefined, true],
  ])('auto on %s with flags %j and NODE_OPTIONS %j is %s', (version, execArgv, nodeOptions, expected) => {
    expect(requestLogContextEnabled(withSetting(undefined, nodeOptions), { version, execArgv })).toBe(expected);
    expect(requestLogContextEnabled(withSetting('auto', nodeOptions), { version, execArgv })).toBe(expected);
  });

  it('follows an explicit on or off on any runtime', () => {
    for (const version of ['v20.20.2', 'v24.21.0']) {
      expect(requestLogContextEnabled(withSetting('on'), { version, execArgv: [] })).toBe(true);
      expect(requestLogContextEnabled(withSetting('off'), { version, execArgv: [] })).toBe(false);
    }
  });

  it('rejects any other setting naming the variable', () => {
    expect(() => loadConfig({ LOG_REQUEST_CONTEXT: 'yes' })).toThrow(
      'LOG_REQUEST_CONTEXT must be one of auto|on|off, got "yes"',
    );
  });
});
