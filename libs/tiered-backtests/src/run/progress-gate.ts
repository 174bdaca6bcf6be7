/**
 * Decides which engine progress reports are published: at least every 5 points or every
 * second, and never more often than every `minIntervalMs` (a short run publishes nothing but
 * its end, a long one a steady trickle).
 */
export class ProgressGate {
  private lastAt: number;

  constructor(
    start: number,
    private readonly minIntervalMs = 250,
    private lastPercent = 0,
    private readonly maxIntervalMs = 1_000,
  ) {
    this.lastAt = start;
  }

  shouldPublish(percent: number, now: number): boolean {
    if (percent <= this.lastPercent || percent >= 100) return false;
    const elapsed = now - this.lastAt;
    const due = elapsed >= this.maxIntervalMs || (percent - this.lastPercent >= 5 && elapsed >= this.minIntervalMs);
    if (!due) return false;
    this.lastPercent = percent;
    this.lastAt = now;
    return true;
  }
}
