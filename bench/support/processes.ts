import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import autocannon from 'autocannon';

export const ROOT = path.resolve(__dirname, '../../..');

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface Started {
  child: ChildProcess;
  readyMs: number;
  stop(): Promise<void>;
}

/** Spawns `node <script>` and resolves once a stdout/stderr line matches `ready`. */
export function startProcess(script: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Started> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let done = false;
    const onData = (c: Buffer) => {
      out += c.toString();
      if (!done && ready.test(out)) {
        done = true;
        const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
        // Keep draining output so the child never blocks on a full pipe.
        resolve({
          child,
          readyMs,
          stop: () =>
            new Promise<void>((r) => {
              if (child.exitCode !== null) return r();
              child.once('exit', () => r());
              child.kill('SIGTERM');
            }),
        });
      }
      if (out.length > 100_000) out = out.slice(-10_000);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      if (!done) reject(new Error(`${script} exited with ${code}:\n${out.slice(-3000)}`));
    });
  });
}

export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

export async function load(
  url: string,
  seconds: number,
  connections = 64,
  headers: Record<string, string> = {},
): Promise<{ rps: number; p99: number; errors: number }> {
  const result = await autocannon({ url, connections, duration: seconds, pipelining: 1, headers });
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + (result.non2xx ?? 0),
  };
}
