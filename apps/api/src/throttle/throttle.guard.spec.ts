import { SkipThrottle } from '@nestjs/throttler';
import { SKIP_THROTTLE_METADATA } from './throttle.guard';

describe('SKIP_THROTTLE_METADATA', () => {
  it('is the key @SkipThrottle() sets, so the guard honours the decorator', () => {
    class Probe {
      @SkipThrottle()
      skipped(): void {}
      counted(): void {}
    }
    expect(Reflect.getMetadata(SKIP_THROTTLE_METADATA, Probe.prototype.skipped)).toBe(true);
    expect(Reflect.getMetadata(SKIP_THROTTLE_METADATA, Probe.prototype.counted)).toBeUndefined();
  });
});
