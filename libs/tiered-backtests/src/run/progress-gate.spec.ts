import { ProgressGate } from './progress-gate';

describe(ProgressGate.name, () => {
  it('publishes every 5 points once the minimum interval passed', () => {
    const gate = new ProgressGate(0, 250);
    expect(gate.shouldPublish(5, 100)).toBe(false);
    expect(gate.shouldPublish(5, 300)).toBe(true);
    expect(gate.shouldPublish(8, 600)).toBe(false);
    expect(gate.shouldPublish(10, 600)).toBe(true);
  });

  it('publishes at least every second however slowly the run moves', () => {
    const gate = new ProgressGate(0, 250);
    expect(gate.shouldPublish(1, 999)).toBe(false);
    expect(gate.shouldPublish(2, 1_000)).toBe(true);
    expect(gate.shouldPublish(3, 1_500)).toBe(false);
  });

  it('never publishes a step back or the end (the completion is its own event)', () => {
    const gate = new ProgressGate(0, 0, 10);
    expect(gate.shouldPublish(10, 5_000)).toBe(false);
    expect(gate.shouldPublish(100, 5_000)).toBe(false);
    expect(gate.shouldPublish(15, 5_000)).toBe(true);
  });
});
