import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigError, DatabaseUrl, KNOWN_ENV_VARS, envSchema, loadConfig } from '@app/platform';
import { REPO_ROOT, TEST_DATABASE_URL, TEST_REDIS_URL, testEnv, uniquePrefix } from '@app/testing';
import { API_PREFIX } from '../../apps/api/src/bootstrap';
import { RunningWorker, startWorkerApp } from '../../apps/worker/src/bootstrap';
import { dashboards } from '../support/promql';
import { TestApi, createTestApi } from '../support/test-app';

/**
 * Checks Dockerfile, docker-compose.yml, deploy/ and k8s/ against the real
 * application: every variable they set is one the app reads, every probe and
 * healthcheck hits a real route on the configured port, entry points exist in
 * dist/, and the migration step runs the real migrate CLI.
 */

type Env = Record<string, string>;

/** Valid stand-ins for the secrets that manifests leave to the operator. */
const STAND_INS: Env = {
  JWT_SECRET: 'deploy-manifest-test-jwt-secret-0123456789',
  ENCRYPTION_KEY: 'ab'.repeat(32),
  OPS_TOKEN: 'deploy-manifest-test-ops-token',
  METRICS_TOKEN: 'deploy-manifest-test-metrics-token',
  ADMIN_PASSWORD: 'deploy-manifest-admin-password-0123',
};
const REQUIRED_COMPOSE_SECRETS = ['JWT_SECRET', 'ENCRYPTION_KEY', 'OPS_TOKEN', 'ADMIN_PASSWORD'];

/** How long each process allows itself past its drain timeout before it exits (apps/{api,worker}/src/main.ts). */
const API_EXIT_MARGIN_MS = 2_000;
const WORKER_EXIT_MARGIN_MS = 5_000;

const PROBE_STATUSES = [200, 503];
const known = new Set(KNOWN_ENV_VARS);
const read = (rel: string) => readFileSync(path.join(REPO_ROOT, rel), 'utf8');

// ---------------------------------------------------------------- entry points

type Role = 'api' | 'worker' | 'migrate';

/** The entry points as package.json's scripts start them. */
function entryPoints(): Record<Role, string[]> {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  const lastNodeCommand = (script: string) => {
    const commands = script.split('&&').map((c) => c.trim().split(/\s+/));
    const node = commands.filter((c) => c[0] === 'node').pop();
    if (!node) throw new Error(`no node command in "${script}"`);
    return node.slice(1);
  };
  return {
    api: lastNodeCommand(scripts['start:api']),
    worker: lastNodeCommand(scripts['start:worker']),
    migrate: lastNodeCommand(scripts['migration:run']),
  };
}
const ENTRY = entryPoints();

function roleOf(argv: string[]): Role | undefined {
  if (argv[0] !== 'node') return undefined;
  const rest = argv.slice(1).join(' ');
  return (Object.keys(ENTRY) as Role[]).find((role) => ENTRY[role].join(' ') === rest);
}

// ---------------------------------------------------------------- Dockerfile

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  name?: string;
  from: string;
  instructions: Instruction[];
}

function dockerStages(source: string): Stage[] {
  const lines = source
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const m = /^(\w+)\s+(.*)$/s.exec(line);
    if (!m) continue;
    const instruction = { keyword: m[1].toUpperCase(), args: m[2].trim() };
    if (instruction.keyword === 'FROM') {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(instruction.args)!;
      stages.push({ from: from[1], name: from[2], instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** `K=V K2="V 2"` pairs of ENV, ARG and LABEL. */
function assignments(args: string): Env {
  const out: Env = {};
  for (const m of args.matchAll(/([A-Za-z_][\w.-]*)=("([^"]*)"|\S*)/g)) out[m[1]] = m[3] ?? m[2];
  return out;
}

function describeImage() {
  const stages = dockerStages(read('Dockerfile'));
  const runtime = stages.at(-1)!;
  const of = (keyword: string) => runtime.instructions.filter((i) => i.keyword === keyword);
  const args: Env = Object.assign({}, ...of('ARG').map((i) => assignments(i.args)));
  const env: Env = {};
  for (const i of of('ENV')) {
    for (const [k, v] of Object.entries(assignments(i.args))) {
      env[k] = v.replace(/\$\{?(\w+)\}?/g, (_, name: string) => args[name] ?? '');
    }
  }
  const exec = (text: string) => JSON.parse(text) as string[];
  const healthcheck = of('HEALTHCHECK').at(-1);
  const healthcheckArgv = healthcheck ? exec(/\bCMD\s+(\[.*\])\s*$/s.exec(healthcheck.args)?.[1] ?? 'null') : null;
  const cmd = of('CMD').at(-1);
  const copies = of('COPY').map((i) => ({ from: /--from=(\S+)/.exec(i.args)?.[1], args: i.args }));
  return {
    stages,
    runtime,
    env,
    user: of('USER').at(-1)?.args,
    healthcheckArgv,
    cmd: cmd ? exec(cmd.args) : undefined,
    expose: of('EXPOSE').flatMap((i) => i.args.split(/\s+/).map((p) => Number(p.split('/')[0]))),
    copies,
    runs: of('RUN').map((i) => i.args),
  };
}
const IMAGE = describeImage();

// ---------------------------------------------------------------- docker compose

interface ComposeHealthcheck {
  test?: string[] | string;
  disable?: boolean;
}
interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: unknown;
  healthcheck?: ComposeHealthcheck;
  ports?: Array<string | number | { target: number }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  restart?: string;
  user?: string;
  stop_grace_period?: string;
  secrets?: Array<string | { source: string; target?: string }>;
  volumes?: Array<string | { source?: string; target: string }>;
  deploy?: { replicas?: number };
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { environment?: string; file?: string }>;
}

/** Compose's variable interpolation: $$, ${V}, ${V:-default}, ${V-default}, ${V:?error}, ${V?error}. */
function interpolate(text: string, vars: Env): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_]\w*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_]\w*)/g,
    (match, name: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
      if (match === '$$') return '$';
      if (bare) return vars[bare] ?? '';
      const value = vars[name!];
      if (op === undefined) return value ?? '';
      const unset = op.startsWith(':') ? !value : value === undefined;
      if (!unset) return value;
      if (op.endsWith('-')) return arg ?? '';
      throw new Error(`required variable ${name} is missing: ${arg}`);
    },
  );
}

function interpolateDeep<T>(value: T, vars: Env): T {
  if (typeof value === 'string') return interpolate(value, vars) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => interpolateDeep(v, vars)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, vars)])) as T;
  }
  return value;
}

const COMPOSE_RAW = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
const COMPOSE = interpolateDeep(COMPOSE_RAW, STAND_INS);

function composeEnv(service: ComposeService): Env {
  const env: Env = {};
  const raw = service.environment ?? {};
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const [k, ...v] = entry.split('=');
      env[k] = v.join('=');
    }
  } else {
    for (const [k, v] of Object.entries(raw)) env[k] = v === null ? '' : String(v);
  }
  return env;
}

const argvOf = (command: string[] | string | undefined): string[] | undefined =>
  typeof command === 'string' ? command.split(/\s+/) : command;

const COMPOSE_APP_IMAGE = COMPOSE.services.api?.image;
const composeAppServices = Object.entries(COMPOSE.services).filter(
  ([, s]) => s.build !== undefined || (s.image !== undefined && s.image === COMPOSE_APP_IMAGE),
);

// ---------------------------------------------------------------- Kubernetes

interface K8sProbe {
  httpGet?: { path?: string; port: number | string; scheme?: string };
  exec?: { command: string[] };
  tcpSocket?: { port: number | string };
}
interface K8sContainer {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string } };
  }>;
  envFrom?: Array<{ prefix?: string; configMapRef?: { name: string }; secretRef?: { name: string } }>;
  startupProbe?: K8sProbe;
  readinessProbe?: K8sProbe;
  livenessProbe?: K8sProbe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
  };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface K8sPodSpec {
  containers: K8sContainer[];
  initContainers?: K8sContainer[];
  terminationGracePeriodSeconds?: number;
  restartPolicy?: string;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  volumes?: Array<{ name: string; emptyDir?: object }>;
}
interface K8sPodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: K8sPodSpec;
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    template?: K8sPodTemplate;
    ttlSecondsAfterFinished?: number;
    ports?: Array<{ name?: string; port: number; targetPort?: number | string }>;
    scaleTargetRef?: { kind: string; name: string };
    minReplicas?: number;
    maxReplicas?: number;
    minAvailable?: number | string;
    maxUnavailable?: number | string;
    rules?: Array<{
      http?: {
        paths: Array<{
          path: string;
          pathType: string;
          backend: { service: { name: string; port: { name?: string; number?: number } } };
        }>;
      };
    }>;
  };
}

function loadK8s(): Array<K8sObject & { file: string }> {
  const dir = path.join(REPO_ROOT, 'k8s');
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).flatMap((doc) => {
      if (doc.errors.length > 0) throw new Error(`k8s/${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const obj = doc.toJS() as K8sObject | null;
      return obj ? [{ ...obj, file }] : [];
    }),
  );
}
const K8S = loadK8s();
const ofKind = (kind: string) => K8S.filter((o) => o.kind === kind);
const configMaps = new Map(ofKind('ConfigMap').map((o) => [o.metadata.name, o.data ?? {}]));
const secretValues = (o: K8sObject): Env => ({
  ...Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])),
  ...(o.stringData ?? {}),
});
const secrets = new Map(ofKind('Secret').map((o) => [o.metadata.name, secretValues(o)]));

interface Workload {
  object: K8sObject & { file: string };
  template: K8sPodTemplate;
  container: K8sContainer;
  argv: string[];
  role?: Role;
  /** Names the container's environment defines (env and envFrom). */
  envNames: string[];
  /** The environment the process sees, secrets replaced by valid stand-ins. */
  env: Env;
  /** The same, with the example secret's values as they are. */
  envWithExampleSecrets: Env;
}

function workloads(): Workload[] {
  return K8S.filter((o) => o.spec?.template?.spec?.containers).flatMap((object) => {
    const template = object.spec!.template!;
    const containers = [...(template.spec.initContainers ?? []), ...template.spec.containers];
    return containers.map((container) => {
      const fromImage: Env = { ...IMAGE.env };
      const fromSources: Env = {};
      const fromExample: Env = {};
      const names: string[] = [];
      for (const source of container.envFrom ?? []) {
        const prefix = source.prefix ?? '';
        const map = source.configMapRef
          ? configMaps.get(source.configMapRef.name)
          : source.secretRef
            ? secrets.get(source.secretRef.name)
            : undefined;
        if (!map) {
          const ref = source.configMapRef?.name ?? source.secretRef?.name;
          throw new Error(
            `${object.file}: ${container.name} takes envFrom "${ref}", which no manifest in k8s/ defines`,
          );
        }
        for (const [k, v] of Object.entries(map)) {
          names.push(prefix + k);
          fromExample[prefix + k] = v;
          fromSources[prefix + k] = source.secretRef && k in STAND_INS ? STAND_INS[k] : v;
        }
      }
      for (const e of container.env ?? []) {
        names.push(e.name);
        const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
        const value = ref
          ? (e.valueFrom?.configMapKeyRef ? configMaps : secrets).get(ref.name)?.[ref.key]
          : (e.value ?? '');
        if (value === undefined) throw new Error(`${object.file}: env ${e.name} refers to a missing key`);
        fromExample[e.name] = value;
        fromSources[e.name] = e.valueFrom?.secretKeyRef && e.name in STAND_INS ? STAND_INS[e.name] : value;
      }
      const argv = container.command
        ? [...container.command, ...(container.args ?? [])]
        : (container.args ?? IMAGE.cmd ?? []);
      return {
        object,
        template,
        container,
        argv,
        role: roleOf(argv),
        envNames: names,
        env: { ...fromImage, ...fromSources },
        envWithExampleSecrets: { ...fromImage, ...fromExample },
      };
    });
  });
}
const WORKLOADS = workloads();
const workloadsOf = (role: Role) => WORKLOADS.filter((w) => w.role === role);

function portOf(container: K8sContainer, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

const httpProbes = (c: K8sContainer) =>
  (['startupProbe', 'readinessProbe', 'livenessProbe'] as const).flatMap((kind) => {
    const probe = c[kind];
    return probe?.httpGet ? [{ kind, path: probe.httpGet.path ?? '/', port: probe.httpGet.port }] : [];
  });

// ---------------------------------------------------------------- helpers

/** Every container of ours, from both compose and Kubernetes, with what it sets and what it sees. */
interface AppContainer {
  where: string;
  role?: Role;
  envNames: string[];
  env: Env;
}
const APP_CONTAINERS: AppContainer[] = [
  ...composeAppServices.map(([name, s]) => {
    const argv = argvOf(s.command) ?? IMAGE.cmd ?? [];
    const own = composeEnv(s);
    return {
      where: `docker-compose.yml services.${name}`,
      role: roleOf(argv),
      envNames: Object.keys(own),
      env: { ...IMAGE.env, ...own },
    };
  }),
  ...WORKLOADS.map((w) => ({
    where: `k8s/${w.object.file} ${w.object.kind}/${w.object.metadata.name} container ${w.container.name}`,
    role: w.role,
    envNames: w.envNames,
    env: w.env,
  })),
];

function run(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The URL a `node -e` healthcheck script requests, given the container's environment. */
async function urlRequestedBy(script: string, env: Env): Promise<URL> {
  const capture = 'globalThis.fetch = (url) => { process.stdout.write(String(url)); process.exit(0); };\n';
  const res = await run(process.execPath, ['-e', capture + script], env);
  if (res.code !== 0 || !res.stdout) throw new Error(`healthcheck script requested nothing: ${res.stderr}`);
  return new URL(res.stdout);
}

/** Runs a `node -e` healthcheck script for real, its requests sent to `port` on this machine. */
async function runHealthcheck(script: string, env: Env, port: number): Promise<number | null> {
  const redirect =
    '{ const realFetch = globalThis.fetch; globalThis.fetch = (url, init) => {' +
    ` const u = new URL(String(url)); u.hostname = '127.0.0.1'; u.port = '${port}'; return realFetch(u, init); }; }\n`;
  return (await run(process.execPath, ['-e', redirect + script], env)).code;
}

/** The script of a healthcheck written as `node -e <script>` (the image has no curl or wget). */
function nodeScript(argv: string[] | null | undefined, where: string): string {
  if (!argv || argv[0] !== 'node' || argv[1] !== '-e' || argv.length !== 3) {
    throw new Error(`${where}: healthcheck must be ["node", "-e", "<script>"], got ${JSON.stringify(argv)}`);
  }
  return argv[2];
}

function composeHealthcheckScript(name: string): string {
  const test = COMPOSE.services[name]?.healthcheck?.test;
  const argv = Array.isArray(test) && test[0] === 'CMD' ? test.slice(1) : null;
  return nodeScript(argv, `docker-compose.yml services.${name}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const durationMs = (text: string | undefined): number => {
  let ms = 0;
  for (const m of (text ?? '').matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    ms += Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  }
  return ms;
};

const preStopSleepMs = (c: K8sContainer): number => {
  const preStop = c.lifecycle?.preStop;
  if (preStop?.sleep) return preStop.sleep.seconds * 1_000;
  const cmd = preStop?.exec?.command ?? [];
  return cmd[0] === 'sleep' ? Number(cmd[1]) * 1_000 : 0;
};

const matchesSelector = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

// ---------------------------------------------------------------- the tests

describe('deployment manifests', () => {
  describe('the files', () => {
    it('find the api, worker and migrate containers in compose and Kubernetes', () => {
      expect(composeAppServices.map(([name]) => name).sort()).toEqual(['api', 'migrate', 'worker']);
      for (const role of ['api', 'worker', 'migrate'] as const) {
        expect(APP_CONTAINERS.filter((c) => c.where.startsWith('docker-compose') && c.role === role)).toHaveLength(1);
        expect(workloadsOf(role)).toHaveLength(1);
      }
      expect(COMPOSE.services.api.image).toBeDefined();
      const unknownRole = APP_CONTAINERS.filter((c) => c.role === undefined).map((c) => c.where);
      expect(unknownRole).toEqual([]);
    });

    it('run each compose service as the process its name says', () => {
      expect(APP_CONTAINERS.find((c) => c.where.endsWith('services.api'))?.role).toBe('api');
      expect(APP_CONTAINERS.find((c) => c.where.endsWith('services.worker'))?.role).toBe('worker');
      expect(APP_CONTAINERS.find((c) => c.where.endsWith('services.migrate'))?.role).toBe('migrate');
    });
  });

  describe('environment variables', () => {
    it.each(APP_CONTAINERS.map((c) => [c.where, c] as const))('%s sets only variables the app reads', (_, c) => {
      expect(c.envNames.filter((name) => !known.has(name))).toEqual([]);
    });

    it('every ConfigMap and Secret in k8s/ holds only variables the app reads', () => {
      const names = [...configMaps.values(), ...secrets.values()].flatMap((m) => Object.keys(m));
      expect(names.length).toBeGreaterThan(0);
      expect(names.filter((name) => !known.has(name))).toEqual([]);
    });

    it('the image sets only variables the app reads', () => {
      expect(Object.keys(IMAGE.env).filter((name) => !known.has(name))).toEqual([]);
      expect(IMAGE.env.NODE_ENV).toBe('production');
    });

    it('compose never hides variables in an env_file', () => {
      expect(composeAppServices.filter(([, s]) => s.env_file !== undefined).map(([n]) => n)).toEqual([]);
    });

    it.each(APP_CONTAINERS.map((c) => [c.where, c] as const))(
      '%s gets a configuration the app accepts in production',
      (_, c) => {
        const parsed = envSchema.safeParse(c.env);
        expect(parsed.success ? [] : parsed.error.issues.map((i) => i.message)).toEqual([]);
        const config = loadConfig(c.env);
        expect(config.isProduction).toBe(true);
        expect(config.runMode).toBe('external');
        expect(config.queueBackend).toBe('redis');
      },
    );

    it('the API containers do not run the workers in-process, and say so explicitly', () => {
      const apis = APP_CONTAINERS.filter((c) => c.role === 'api');
      expect(apis.length).toBeGreaterThan(0);
      for (const c of apis) {
        expect(c.envNames).toContain('RUN_WORKER_IN_API');
        expect(loadConfig(c.env).runWorkerInApi).toBe(false);
      }
    });

    it.each(REQUIRED_COMPOSE_SECRETS)('compose refuses to start without %s', (name) => {
      const without = Object.fromEntries(Object.entries(STAND_INS).filter(([k]) => k !== name));
      expect(() => interpolateDeep(COMPOSE_RAW, without)).toThrow(name);
    });

    it('the example Secret cannot start the app: its placeholders fail validation', () => {
      for (const w of WORKLOADS) {
        expect(() => loadConfig(w.envWithExampleSecrets)).toThrow(ConfigError);
      }
    });
  });

  describe('the image', () => {
    it('runs as a numeric non-root user', () => {
      expect(IMAGE.user).toBeDefined();
      const [uid] = IMAGE.user!.split(':');
      expect(uid).toMatch(/^\d+$/);
      expect(uid).not.toBe('0');
    });

    it('ships production dependencies only, built in another stage', () => {
      const nodeModules = IMAGE.copies.filter((c) => /node_modules/.test(c.args));
      expect(nodeModules).toHaveLength(1);
      const from = IMAGE.stages.find((s) => s.name === nodeModules[0].from);
      expect(from).toBeDefined();
      const installs = from!.instructions.filter((i) => i.keyword === 'RUN' && /\bnpm (ci|install)\b/.test(i.args));
      expect(installs.length).toBeGreaterThan(0);
      for (const i of installs) expect(i.args).toMatch(/--omit=dev\b/);
      expect(IMAGE.runs.filter((r) => /\bnpm (ci|install)\b/.test(r))).toEqual([]);
      expect(IMAGE.copies.some((c) => c.from !== undefined && /\bdist\b/.test(c.args))).toBe(true);
    });

    it('starts the API by default and exposes its ports', () => {
      expect(roleOf(IMAGE.cmd ?? [])).toBe('api');
      const config = loadConfig({ ...IMAGE.env, ...STAND_INS, DATABASE_URL: TEST_DATABASE_URL });
      expect(IMAGE.expose).toEqual(expect.arrayContaining([config.env.PORT, config.env.WORKER_HEALTH_PORT]));
    });

    it('healthchecks the port the API listens on, also when PORT is changed', async () => {
      const script = nodeScript(IMAGE.healthcheckArgv, 'Dockerfile HEALTHCHECK');
      const config = loadConfig({ ...IMAGE.env, ...STAND_INS, DATABASE_URL: TEST_DATABASE_URL });
      expect(Number((await urlRequestedBy(script, IMAGE.env)).port)).toBe(config.env.PORT);
      expect(Number((await urlRequestedBy(script, { ...IMAGE.env, PORT: '4321' })).port)).toBe(4321);
    });

    it('Kubernetes runs the pods as the image user', () => {
      const [uid] = (IMAGE.user ?? '').split(':');
      for (const w of WORKLOADS) {
        const runAsUser = w.container.securityContext?.runAsUser ?? w.template.spec.securityContext?.runAsUser;
        expect(runAsUser === undefined || String(runAsUser) === uid).toBe(true);
      }
    });
  });

  describe('entry points', () => {
    it.each(Object.entries(ENTRY))('the %s entry point exists in dist/ after the build', (_, argv) => {
      expect(existsSync(path.join(REPO_ROOT, argv[0]))).toBe(true);
    });

    it('the migration step runs the migrate CLI with "run"', () => {
      const migrations = APP_CONTAINERS.filter((c) => c.role === 'migrate');
      expect(migrations.map((c) => c.where)).toEqual([
        'docker-compose.yml services.migrate',
        expect.stringMatching(/^k8s\/.* Job\/quant-migrate container migrate$/),
      ]);
      expect(ENTRY.migrate.at(-1)).toBe('run');
    });

    it.each(
      [
        ...composeAppServices
          .filter(([name]) => name === 'migrate')
          .map(([name, s]) => ({
            where: `compose ${name}`,
            argv: argvOf(s.command) ?? [],
            env: { ...IMAGE.env, ...composeEnv(s) },
          })),
        ...workloadsOf('migrate').map((w) => ({ where: `k8s ${w.object.metadata.name}`, argv: w.argv, env: w.env })),
      ].map((m) => [m.where, m] as const),
    )('%s: the migration command runs against a real database', async (_, m) => {
      expect(m.argv[0]).toBe('node');
      const res = await run(process.execPath, m.argv.slice(1), {
        ...m.env,
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: TEST_REDIS_URL,
        LOG_LEVEL: 'silent',
      });
      expect(res).toMatchObject({ code: 0 });
      expect(res.stdout).toMatch(/^migrations applied on /m);
    });
  });

  describe('compose wiring', () => {
    const deps = (name: string): Record<string, { condition?: string }> => {
      const d = COMPOSE.services[name].depends_on;
      return Array.isArray(d) ? Object.fromEntries(d.map((n) => [n, {}])) : (d ?? {});
    };

    it('migrates once, after PostgreSQL is healthy', () => {
      expect(deps('migrate').postgres?.condition).toBe('service_healthy');
      expect(COMPOSE.services.migrate.restart).toBe('no');
      expect(COMPOSE.services.postgres.healthcheck?.test).toBeDefined();
    });

    it.each(['api', 'worker'])('starts %s after the migration succeeded and Redis is healthy', (name) => {
      expect(deps(name).migrate?.condition).toBe('service_completed_successfully');
      expect(deps(name).redis?.condition).toBe('service_healthy');
      expect(COMPOSE.services.redis.healthcheck?.test).toBeDefined();
    });

    it('runs more than one worker', () => {
      expect(COMPOSE.services.worker.deploy?.replicas ?? 1).toBeGreaterThan(1);
    });

    it('no app service overrides the image user', () => {
      expect(composeAppServices.filter(([, s]) => s.user !== undefined).map(([n]) => n)).toEqual([]);
    });

    it('publishes the API on the port it listens on', () => {
      const port = loadConfig({ ...IMAGE.env, ...composeEnv(COMPOSE.services.api) }).env.PORT;
      const targets = (COMPOSE.services.api.ports ?? []).map((p) =>
        typeof p === 'object' ? p.target : Number(String(p).split('/')[0].split(':').pop()),
      );
      expect(targets).toEqual([port]);
    });

    it('healthchecks the API and the worker on their configured ports', async () => {
      const apiEnv = { ...IMAGE.env, ...composeEnv(COMPOSE.services.api) };
      const workerEnv = { ...IMAGE.env, ...composeEnv(COMPOSE.services.worker) };
      const apiUrl = await urlRequestedBy(composeHealthcheckScript('api'), apiEnv);
      const workerUrl = await urlRequestedBy(composeHealthcheckScript('worker'), workerEnv);
      expect(Number(apiUrl.port)).toBe(loadConfig(apiEnv).env.PORT);
      expect(Number(workerUrl.port)).toBe(loadConfig(workerEnv).env.WORKER_HEALTH_PORT);
    });

    it('gives each process time to drain before it is killed', () => {
      const api = loadConfig({ ...IMAGE.env, ...composeEnv(COMPOSE.services.api) });
      const worker = loadConfig({ ...IMAGE.env, ...composeEnv(COMPOSE.services.worker) });
      expect(durationMs(COMPOSE.services.api.stop_grace_period)).toBeGreaterThanOrEqual(
        api.env.SHUTDOWN_TIMEOUT_MS + API_EXIT_MARGIN_MS,
      );
      expect(durationMs(COMPOSE.services.worker.stop_grace_period)).toBeGreaterThanOrEqual(
        worker.env.WORKER_SHUTDOWN_TIMEOUT_MS + WORKER_EXIT_MARGIN_MS,
      );
    });

    it('Prometheus scrapes the API on its port, with the metrics token compose gives the API', () => {
      const prom = parse(read('deploy/prometheus/prometheus.yml')) as PrometheusConfig;
      const job = apiScrapeJob(prom);
      expect(job).toBeDefined();
      const api = loadConfig({ ...IMAGE.env, ...composeEnv(COMPOSE.services.api) });
      expect(scrapePorts(job!)).toEqual([api.env.PORT]);
      const file = job!.authorization?.credentials_file ?? '';
      const secret = /^\/run\/secrets\/(.+)$/.exec(file)?.[1];
      expect(secret).toBeDefined();
      expect(COMPOSE.services.prometheus.secrets ?? []).toContain(secret);
      expect(COMPOSE.secrets?.[secret!]?.environment).toBe('METRICS_TOKEN');
      expect(composeEnv(COMPOSE.services.api).METRICS_TOKEN).toBe(STAND_INS.METRICS_TOKEN);
    });

    it('Grafana is provisioned with the Prometheus data source and the dashboard folder', () => {
      const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
        datasources: Array<{ uid: string; type: string; url: string }>;
      };
      const providers = parse(read('deploy/grafana/provisioning/dashboards/quant-backend.yml')) as {
        providers: Array<{ options: { path: string } }>;
      };
      const mounts = (COMPOSE.services.grafana.volumes ?? []).map((v) => (typeof v === 'string' ? v : ''));
      expect(mounts).toContain('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro');
      expect(mounts).toContain(`./deploy/grafana/dashboards:${providers.providers[0].options.path}:ro`);
      const uids = new Set(
        dashboards().flatMap(({ dashboard }) =>
          dashboard.panels.flatMap((p) => [p.datasource?.uid, ...p.targets.map((t) => t.datasource?.uid)]),
        ),
      );
      expect([...uids]).toEqual([datasources.datasources[0].uid]);
      expect(datasources.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
    });
  });

  describe('Kubernetes wiring', () => {
    const deployments = ofKind('Deployment');
    const workloadOf = (role: Role) => workloadsOf(role)[0];

    it('the API and worker Deployments have an HPA and a PDB that never blocks every eviction', () => {
      for (const role of ['api', 'worker'] as const) {
        const w = workloadOf(role);
        expect(w.object.kind).toBe('Deployment');
        const hpa = ofKind('HorizontalPodAutoscaler').find(
          (h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec.scaleTargetRef.name === w.object.metadata.name,
        );
        expect(hpa).toBeDefined();
        expect(hpa!.spec!.minReplicas).toBeGreaterThanOrEqual(2);
        expect(hpa!.spec!.maxReplicas).toBeGreaterThan(hpa!.spec!.minReplicas!);
        const pdb = ofKind('PodDisruptionBudget').find((p) =>
          matchesSelector(p.spec?.selector?.matchLabels, w.template.metadata?.labels),
        );
        expect(pdb).toBeDefined();
        expect(typeof pdb!.spec!.minAvailable).toBe('number');
        expect(pdb!.spec!.minAvailable).toBeLessThan(hpa!.spec!.minReplicas!);
      }
    });

    it('every Deployment selects its own pods', () => {
      expect(deployments.length).toBeGreaterThan(0);
      for (const d of deployments) {
        expect(matchesSelector(d.spec?.selector?.matchLabels, d.spec?.template?.metadata?.labels)).toBe(true);
      }
    });

    it('the migration Job runs once, does not restart in place, and cleans up after itself', () => {
      const job = workloadOf('migrate');
      expect(job.object.kind).toBe('Job');
      expect(job.template.spec.restartPolicy).toBe('Never');
      expect(job.object.spec?.ttlSecondsAfterFinished).toBeGreaterThan(0);
    });

    it.each(['api', 'worker', 'migrate'] as const)(
      'the %s pods run non-root on a read-only root filesystem',
      (role) => {
        const w = workloadOf(role);
        const pod = w.template.spec;
        const sc = w.container.securityContext ?? {};
        expect(sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot).toBe(true);
        expect(sc.readOnlyRootFilesystem).toBe(true);
        expect(sc.allowPrivilegeEscalation).toBe(false);
        const tmp = w.container.volumeMounts?.find((m) => m.mountPath === '/tmp');
        expect(tmp).toBeDefined();
        expect(pod.volumes?.find((v) => v.name === tmp!.name)?.emptyDir).toBeDefined();
        expect(w.container.resources?.requests?.memory).toBeDefined();
        expect(w.container.resources?.limits?.memory).toBeDefined();
      },
    );

    it('the API probes its own port: liveness /health, readiness /health/ready, and a startup probe', () => {
      const w = workloadOf('api');
      const port = loadConfig(w.env).env.PORT;
      const probes = httpProbes(w.container);
      expect(probes.map((p) => p.kind).sort()).toEqual(['livenessProbe', 'readinessProbe', 'startupProbe']);
      expect(probes.find((p) => p.kind === 'livenessProbe')?.path).toBe('/health');
      expect(probes.find((p) => p.kind === 'readinessProbe')?.path).toBe('/health/ready');
      for (const p of probes) expect(portOf(w.container, p.port)).toBe(port);
    });

    it('the worker probes its probe server port', () => {
      const w = workloadOf('worker');
      const port = loadConfig(w.env).env.WORKER_HEALTH_PORT;
      const probes = httpProbes(w.container);
      expect(probes.map((p) => p.kind).sort()).toEqual(['livenessProbe', 'readinessProbe', 'startupProbe']);
      for (const p of probes) expect(portOf(w.container, p.port)).toBe(port);
    });

    it('the API drains connections before it stops, within the grace period', () => {
      const w = workloadOf('api');
      const config = loadConfig(w.env);
      const sleep = preStopSleepMs(w.container);
      expect(sleep).toBeGreaterThan(0);
      expect((w.template.spec.terminationGracePeriodSeconds ?? 30) * 1_000).toBeGreaterThanOrEqual(
        sleep + config.env.SHUTDOWN_TIMEOUT_MS + API_EXIT_MARGIN_MS,
      );
    });

    it('the worker gets WORKER_SHUTDOWN_TIMEOUT_MS to finish running jobs', () => {
      const w = workloadOf('worker');
      const config = loadConfig(w.env);
      expect((w.template.spec.terminationGracePeriodSeconds ?? 30) * 1_000).toBeGreaterThanOrEqual(
        preStopSleepMs(w.container) + config.env.WORKER_SHUTDOWN_TIMEOUT_MS + WORKER_EXIT_MARGIN_MS,
      );
    });

    it('the Service sends traffic to the API port of the API pods', () => {
      const w = workloadOf('api');
      const port = loadConfig(w.env).env.PORT;
      const services = ofKind('Service').filter((s) => matchesSelector(s.spec?.selector, w.template.metadata?.labels));
      expect(services).toHaveLength(1);
      for (const p of services[0].spec?.ports ?? []) expect(portOf(w.container, p.targetPort ?? p.port)).toBe(port);
    });

    it('the Ingress routes to the API Service and keeps /metrics and /health/detailed private', () => {
      const apiPods = workloadOf('api').template.metadata?.labels;
      const paths = ofKind('Ingress').flatMap((i) => i.spec?.rules?.flatMap((r) => r.http?.paths ?? []) ?? []);
      expect(paths.length).toBeGreaterThan(0);
      for (const p of paths) {
        const service = ofKind('Service').find((s) => s.metadata.name === p.backend.service.name);
        expect(service).toBeDefined();
        expect(matchesSelector(service!.spec?.selector, apiPods)).toBe(true);
        const port = p.backend.service.port;
        expect(service!.spec?.ports?.some((sp) => sp.name === port.name || sp.port === port.number)).toBe(true);
      }
      for (const hidden of ['/metrics', '/health/detailed']) {
        expect(paths.filter((p) => ingressMatches(p, hidden)).map((p) => p.path)).toEqual([]);
      }
    });

    it('the API pods carry Prometheus scrape annotations for their metrics port', () => {
      const w = workloadOf('api');
      const annotations = w.template.metadata?.annotations ?? {};
      expect(annotations['prometheus.io/scrape']).toBe('true');
      expect(Number(annotations['prometheus.io/port'])).toBe(loadConfig(w.env).env.PORT);
    });
  });

  describe('against the real API', () => {
    let api: TestApi;
    let port: number;
    const k8sApi = workloadsOf('api')[0];

    beforeAll(async () => {
      api = await createTestApi({
        env: {
          ...k8sApi.env,
          DATABASE_URL: TEST_DATABASE_URL,
          REDIS_URL: TEST_REDIS_URL,
          QUEUE_PREFIX: uniquePrefix('deploy'),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'silent',
        },
      });
      await api.app.listen({ port: 0, host: '127.0.0.1' });
      port = (api.app.getHttpServer().address() as AddressInfo).port;
    });
    afterAll(async () => {
      await api?.close();
    });

    it('boots with the configuration the manifests give it', () => {
      expect(api.config.isProduction).toBe(true);
      expect(api.config.runWorkerInApi).toBe(false);
    });

    it('answers 404 for a path that is not a route, so the checks below can fail', async () => {
      expect((await api.inject('/health/nope')).statusCode).toBe(404);
    });

    const probePaths = [
      ...workloadsOf('api').flatMap((w) =>
        httpProbes(w.container).map((p) => [`k8s ${w.object.metadata.name} ${p.kind}`, p.path] as const),
      ),
    ];
    it.each(probePaths)('%s: %s is a real route that answers 200 or 503', async (_, probePath) => {
      const res = await api.inject(probePath);
      expect(PROBE_STATUSES).toContain(res.statusCode);
    });

    it('the compose healthcheck requests a real route and passes against the real API', async () => {
      const script = composeHealthcheckScript('api');
      const url = await urlRequestedBy(script, composeEnv(COMPOSE.services.api));
      expect(PROBE_STATUSES).toContain((await api.inject(url.pathname)).statusCode);
      expect(await runHealthcheck(script, {}, port)).toBe(0);
    });

    it('the image HEALTHCHECK requests a real route and passes against the real API', async () => {
      const script = nodeScript(IMAGE.healthcheckArgv, 'Dockerfile HEALTHCHECK');
      const url = await urlRequestedBy(script, IMAGE.env);
      expect(PROBE_STATUSES).toContain((await api.inject(url.pathname)).statusCode);
      expect(await runHealthcheck(script, IMAGE.env, port)).toBe(0);
      expect(await runHealthcheck(script, IMAGE.env, await freePort())).not.toBe(0);
    });

    it('the Prometheus annotation and scrape job name /metrics, which answers with the metrics token', async () => {
      const paths = [
        k8sApi.template.metadata?.annotations?.['prometheus.io/path'],
        apiScrapeJob(parse(read('deploy/prometheus/prometheus.yml')) as PrometheusConfig)?.metrics_path ?? '/metrics',
      ];
      for (const metricsPath of paths) {
        expect(metricsPath).toBeDefined();
        const token = k8sApi.env.METRICS_TOKEN;
        const res = await api.inject({ url: metricsPath!, headers: { authorization: `Bearer ${token}` } });
        expect(res.statusCode).toBe(200);
        expect(res.body).toContain('http_request_duration_seconds');
      }
    });

    it.each(
      ofKind('Ingress').flatMap((i) =>
        (i.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => [p.path, p.pathType] as const)),
      ),
    )('the Ingress path %s (%s) leads to real routes', async (ingressPath, pathType) => {
      // The API prefix itself is no route; the routes live below it.
      const apiPrefix = pathType === 'Prefix' && ingressPath === `/${API_PREFIX}`;
      const status = (await api.inject(ingressPath)).statusCode;
      expect(apiPrefix || status !== 404 ? 'routed' : `${ingressPath} answers ${status}`).toBe('routed');
    });
  });

  describe('against the real worker', () => {
    let worker: RunningWorker;
    let port: number;
    const k8sWorker = workloadsOf('worker')[0];

    beforeAll(async () => {
      port = await freePort();
      const config = loadConfig(
        testEnv({
          ...k8sWorker.env,
          DATABASE_URL: TEST_DATABASE_URL,
          REDIS_URL: TEST_REDIS_URL,
          QUEUE_PREFIX: uniquePrefix('deploy-worker'),
          HOST: '127.0.0.1',
          WORKER_HEALTH_PORT: String(port),
          LOG_LEVEL: 'silent',
        }),
      );
      worker = await startWorkerApp(config, DatabaseUrl.from(config), { healthServer: true });
      // The first heartbeat makes the worker ready; wait for it so the healthcheck run below is meaningful.
      for (let i = 0; i < 50; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
        if (res?.status === 200) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    afterAll(async () => {
      await worker?.close();
    });

    const get = (probePath: string) => fetch(`http://127.0.0.1:${port}${probePath}`);

    it('answers 404 for a path that is not a route, so the checks below can fail', async () => {
      expect((await get('/health/nope')).status).toBe(404);
    });

    it.each(
      workloadsOf('worker').flatMap((w) =>
        httpProbes(w.container).map((p) => [`k8s ${w.object.metadata.name} ${p.kind}`, p.path] as const),
      ),
    )('%s: %s is a real route of the probe server', async (_, probePath) => {
      expect(PROBE_STATUSES).toContain((await get(probePath)).status);
    });

    it('the compose healthcheck requests a real route and passes against the real worker', async () => {
      const script = composeHealthcheckScript('worker');
      const url = await urlRequestedBy(script, composeEnv(COMPOSE.services.worker));
      expect(PROBE_STATUSES).toContain((await get(url.pathname)).status);
      expect(await runHealthcheck(script, {}, port)).toBe(0);
    });
  });
});

// ---------------------------------------------------------------- Prometheus and Grafana

interface PrometheusJob {
  job_name: string;
  metrics_path?: string;
  authorization?: { type?: string; credentials_file?: string };
  static_configs?: Array<{ targets: string[] }>;
  dns_sd_configs?: Array<{ names: string[]; type?: string; port?: number }>;
}
interface PrometheusConfig {
  scrape_configs: PrometheusJob[];
}

/** The scrape job whose targets are the compose `api` service. */
function apiScrapeJob(config: PrometheusConfig): PrometheusJob | undefined {
  return config.scrape_configs.find(
    (j) =>
      j.static_configs?.some((s) => s.targets.some((t) => t.split(':')[0] === 'api')) ||
      j.dns_sd_configs?.some((d) => d.names.includes('api')),
  );
}

function scrapePorts(job: PrometheusJob): number[] {
  return [
    ...(job.static_configs ?? []).flatMap((s) => s.targets.map((t) => Number(t.split(':')[1] ?? 80))),
    ...(job.dns_sd_configs ?? []).map((d) => d.port ?? 0),
  ];
}

function ingressMatches(p: { path: string; pathType: string }, requestPath: string): boolean {
  if (p.pathType === 'Exact') return p.path === requestPath;
  const prefix = p.path.replace(/\/+$/, '');
  return prefix === '' || requestPath === prefix || requestPath.startsWith(`${prefix}/`);
}
