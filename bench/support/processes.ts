import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
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

const LOG_DIR = path.join(os.tmpdir(), 'quant-bench-logs');

/**
 * Spawns `node <script>` and resolves once a line of its output matches `ready`.
 * The child's stdout and stderr go to a file (under the OS temp dir), as a
 * container runtime's log driver takes them: the bench process also drives
 * the load, and draining an API's access log through a pipe into it would
 * slow the load generator by every line the API logs.
 */
export function startProcess(script: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Started> {
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const logFile = path.join(LOG_DIR, `${path.basename(script, '.js')}-${Date.now()}-${process.pid}.log`);
  const fd = fs.openSync(logFile, 'w');
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  const output = () => fs.readFileSync(logFile, 'utf8');
  return new Promise((resolve, reject) => {
    let exited = false;
    let found = false;
    child.once('exit', (code) => {
      exited = true;
      if (!found) reject(new Error(`${script} exited with ${code} (log ${logFile}):\n${output().slice(-3000)}`));
    });
    const poll = setInterval(() => {
      if (exited || !ready.test(output())) return;
      found = true;
      clearInterval(poll);
      resolve({
        child,
        readyMs: Number(process.hrtime.bigint() - started) / 1e6,
        stop: () =>
          new Promise<void>((r) => {
            if (child.exitCode !== null) return r();
            child.once('exit', () => {
              fs.rmSync(logFile, { force: true });
              r();
            });
            child.kill('SIGTERM');
          }),
      });
    }, 10);
    child.once('exit', () => clearInterval(poll));
  });
}

/** User plus system CPU seconds a process has used (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
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
): Promise<{ rps: number; requests: number; p99: number; errors: number }> {
  const result = await autocannon({ url, connections, duration: seconds, pipelining: 1, headers });
  return {
    rps: result.requests.average,
    requests: result.requests.total,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + (result.non2xx ?? 0),
  };
}
