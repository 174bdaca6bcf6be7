import type { AppConfig, RedisConnection } from '@app/platform';
import { SessionStateService } from './session-state.service';
import type { SessionRepository } from './session.repository';

const SID = '00000000-0000-4000-8000-000000000001';

describe(SessionStateService.name, () => {
  let now: number;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  function service(answers: Array<boolean | Promise<boolean>>) {
    const isLive = jest.fn(() => Promise.resolve(answers.shift() ?? true));
    const config = { env: { AUTH_SESSION_CACHE_SECONDS: 5, QUEUE_PREFIX: 'q' } } as unknown as AppConfig;
    const states = new SessionStateService({ isLive } as unknown as SessionRepository, config, {
      client: undefined,
    } as RedisConnection);
    return { states, isLive };
  }

  it('reads a session once, then answers from memory until the cache time ends', async () => {
    const { states, isLive } = service([true]);
    expect(states.cached(SID)).toBeUndefined();
    expect(await states.load(SID)).toBe(true);
    expect(states.cached(SID)).toBe(true);
    now += 5_000;
    expect(states.cached(SID)).toBeUndefined();
    expect(isLive).toHaveBeenCalledTimes(1);
  });

  it('shares one read between concurrent misses', async () => {
    const { states, isLive } = service([true]);
    await Promise.all([states.load(SID), states.load(SID), states.load(SID)]);
    expect(isLive).toHaveBeenCalledTimes(1);
  });

  it('reads a busy session again in the background before its answer expires', async () => {
    const { states, isLive } = service([true, false]);
    await states.load(SID);
    now += 4_100;
    // Still answered at once; the read it started finds the session ended.
    expect(states.cached(SID)).toBe(true);
    expect(isLive).toHaveBeenCalledTimes(2);
    await Promise.resolve();
    await Promise.resolve();
    expect(states.cached(SID)).toBe(false);
  });

  it('lets a revocation win over a read that was in flight', async () => {
    let answer!: (live: boolean) => void;
    const { states } = service([new Promise<boolean>((resolve) => (answer = resolve))]);
    const pending = states.load(SID);
    await states.revoked([SID]);
    answer(true);
    expect(await pending).toBe(false);
    expect(states.cached(SID)).toBe(false);
    // A revoked session stays revoked long after the live-cache time.
    now += 60_000;
    expect(states.cached(SID)).toBe(false);
  });
});
