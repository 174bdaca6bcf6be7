import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from './test-env';

export interface SpawnedApp {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first output line matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process exits by itself. */
  exited(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` to the whole process group (see `SpawnOptions.processGroup`), as Ctrl-C does. */
  signalGroup(signal: NodeJS.Signals): void;
  /** Sends `signal` and resolves with the exit code (or signal) once the process is gone. */
  stop(
    signal?: NodeJS.Signals,
    timeoutMs?: number,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

export interface SpawnOptions {
  /**
   * Leader of its own process group, as a shell runs a foreground command: then
   * `signalGroup` reaches the process and every child it did not move elsewhere,
   * as Ctrl-C in a terminal does.
   */
  processGroup?: boolean;
}

/** Runs a built entry point (`dist/...`) as a real process, as ops would. */
export function spawnBuilt(entry: string, env: NodeJS.ProcessEnv, options: SpawnOptions = {}): SpawnedApp {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, entry)], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.processGroup === true,
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.on('exit', (code, signal) => {
    exit = { code, signal };
    for (const l of listeners) l();
  });

  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = out.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) {
          cleanup();
          resolve(line);
        } else if (exit) {
          cleanup();
          reject(new Error(`process exited (${exit.code ?? exit.signal}) before ${pattern}:\n${out}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}:\n${out}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const stop = (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve, reject) => {
      const started = Date.now();
      if (exit) return resolve({ ...exit, ms: 0 });
      const timer = setTimeout(
        () => reject(new Error(`process did not exit within ${timeoutMs} ms:\n${out}`)),
        timeoutMs,
      );
      child.once('exit', (code, sig) => {
        clearTimeout(timer);
        resolve({ code, signal: sig, ms: Date.now() - started });
      });
      child.kill(signal);
    });

  const exited = (timeoutMs = 30_000) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      if (exit) return resolve(exit);
      const timer = setTimeout(
        () => reject(new Error(`process still running after ${timeoutMs} ms:\n${out}`)),
        timeoutMs,
      );
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
    });

  const signalGroup = (signal: NodeJS.Signals) => {
    if (!options.processGroup) throw new Error('signalGroup needs spawnBuilt(..., { processGroup: true })');
    if (!exit) process.kill(-child.pid!, signal);
  };

  return { child, output: () => out, waitFor, stop, exited, signalGroup };
}
