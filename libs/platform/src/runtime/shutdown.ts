/**
 * Stops the process cleanly on SIGINT/SIGTERM: runs `stop` once, and exits
 * with an error if it takes longer than `timeoutMs` (nothing may hang a deploy).
 */
export function onShutdownSignal(stop: (signal: string) => Promise<void>, timeoutMs: number, log: (m: string) => void) {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal} received; shutting down`);
    const killer = setTimeout(() => {
      log(`shutdown took longer than ${timeoutMs} ms; exiting`);
      process.exit(1);
    }, timeoutMs);
    killer.unref();
    stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        log(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
