import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '@app/testing';

/**
 * The GitHub workflows against the repository: every npm script they call exists, CI runs what
 * .ci/run runs, its service containers are the images compose runs, and the release deploys the
 * manifests that exist, in the order k8s/README.md gives, with the image the manifests name.
 */

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
  if?: string;
}
interface Job {
  uses?: string;
  needs?: string | string[];
  services?: Record<string, { image: string }>;
  steps?: Step[];
  env?: Record<string, string>;
}
interface Workflow {
  on: unknown;
  jobs: Record<string, Job>;
  env?: Record<string, string>;
}

const read = (rel: string) => readFileSync(path.join(REPO_ROOT, rel), 'utf8');
const WORKFLOW_DIR = '.github/workflows';
const WORKFLOWS = readdirSync(path.join(REPO_ROOT, WORKFLOW_DIR))
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((f) => ({ file: `${WORKFLOW_DIR}/${f}`, workflow: parse(read(`${WORKFLOW_DIR}/${f}`)) as Workflow }));
const SCRIPTS = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
const COMPOSE = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, { image?: string }>;
};

/** The npm scripts a shell snippet runs: `npm run x`, `npm test`, `npm start`. */
function npmScripts(shell: string): string[] {
  const out: string[] = [];
  for (const m of shell.matchAll(/\bnpm\s+(?:run(?:-script)?\s+([\w:.-]+)|(test|start|stop|restart)\b)/g)) {
    out.push(m[1] ?? m[2]);
  }
  return out;
}

const runs = (workflow: Workflow) =>
  Object.values(workflow.jobs).flatMap((j) => (j.steps ?? []).flatMap((s) => (s.run ? [s.run] : [])));
const workflow = (name: string) => WORKFLOWS.find((w) => w.file.endsWith(`/${name}`))!.workflow;

describe('GitHub workflows', () => {
  it('finds ci.yml and release.yml', () => {
    expect(WORKFLOWS.map((w) => path.basename(w.file))).toEqual(['ci.yml', 'release.yml']);
  });

  it('the npm-script extraction finds run, test and start, so the checks below can fail', () => {
    expect(npmScripts('npm ci && npm run lint\nnpm test -- x; npm run-script build:all')).toEqual([
      'lint',
      'test',
      'build:all',
    ]);
  });

  it.each(WORKFLOWS.map((w) => [w.file, w.workflow] as const))('%s calls only npm scripts that exist', (_, wf) => {
    const called = runs(wf).flatMap(npmScripts);
    expect(called.filter((name) => !(name in SCRIPTS))).toEqual([]);
  });

  it('CI runs every npm script .ci/run runs, in the same order', () => {
    // Commands only: not the comments, nor the section titles printed by `log`.
    const commands = read('.ci/run')
      .split('\n')
      .filter((line) => !/^\s*(#|log\s)/.test(line))
      .join('\n');
    const local = npmScripts(commands);
    expect(local.length).toBeGreaterThan(3);
    expect(runs(workflow('ci.yml')).flatMap(npmScripts)).toEqual(local);
  });

  it("CI's service containers are the PostgreSQL and Redis images compose runs", () => {
    const services = Object.entries(workflow('ci.yml').jobs).flatMap(([, j]) => Object.entries(j.services ?? {}));
    expect(services.map(([name]) => name).sort()).toEqual(['postgres', 'redis']);
    for (const [name, service] of services) {
      expect([name, service.image]).toEqual([name, COMPOSE.services[name]?.image]);
    }
  });

  it('CI installs promtool before it tests the alert rules', () => {
    const all = runs(workflow('ci.yml')).join('\n');
    expect(all).toMatch(/apt-get install[^\n]*\bprometheus\b/);
    expect(all.indexOf('prometheus')).toBeLessThan(all.indexOf('npm run test:alerts'));
    expect(SCRIPTS['test:alerts']).toMatch(/promtool test rules/);
  });

  it('the release runs CI first, and builds the image with an SBOM and provenance', () => {
    const release = workflow('release.yml');
    expect(release.jobs.ci?.uses).toBe('./.github/workflows/ci.yml');
    expect(JSON.stringify(workflow('ci.yml').on)).toContain('workflow_call');
    const build = Object.values(release.jobs)
      .flatMap((j) => j.steps ?? [])
      .find((s) => s.uses?.startsWith('docker/build-push-action'));
    expect(build?.with).toMatchObject({ push: true, sbom: true, provenance: expect.stringMatching(/^(true|mode=)/) });
    expect(existsSync(path.join(REPO_ROOT, 'Dockerfile'))).toBe(true);
    expect(read('Dockerfile')).toMatch(new RegExp(`\\bAS\\s+${String(build?.with?.target)}\\b`, 'i'));
  });

  it('the release replaces the image the manifests name, in every manifest that runs it', () => {
    const release = workflow('release.yml');
    const placeholder = release.env?.MANIFEST_IMAGE ?? '';
    expect(placeholder).not.toBe('');
    for (const file of ['k8s/migrate-job.yaml', 'k8s/api.yaml', 'k8s/worker.yaml']) {
      expect([file, read(file).includes(`image: ${placeholder}`)]).toEqual([file, true]);
      expect(runs(release).some((r) => r.includes('MANIFEST_IMAGE') && r.includes(file))).toBe(true);
    }
  });

  it('the release applies only manifests that exist: migration first, then the rollout, readiness, and a rollback', () => {
    const script = runs(workflow('release.yml')).join('\n');
    const files = [...script.matchAll(/-f\s+(k8s\/[\w.-]+\.ya?ml)/g)].map((m) => m[1]);
    expect(files.length).toBeGreaterThan(3);
    expect(files.filter((f) => !existsSync(path.join(REPO_ROOT, f)))).toEqual([]);
    // Never the example secret: it would overwrite the real one.
    expect(files).not.toContain('k8s/secret.example.yaml');
    const at = (text: string) => {
      const i = script.indexOf(text);
      expect([text, i >= 0]).toEqual([text, true]);
      return i;
    };
    expect(at('wait --for=condition=complete job/quant-migrate')).toBeLessThan(at('-f k8s/api.yaml'));
    expect(at('rollout status deployment/quant-api')).toBeLessThan(at('/health/ready'));
    expect(at('/health/ready')).toBeLessThan(at('rollout undo deployment/quant-api'));
    const rollback = Object.values(workflow('release.yml').jobs)
      .flatMap((j) => j.steps ?? [])
      .find((s) => s.run?.includes('rollout undo'));
    expect(rollback?.if).toMatch(/failure\(\)/);
  });
});
