import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '@app/testing';

/**
 * k8s/ validated without a cluster: kubectl (the one on this machine) must parse and recognise
 * every object, every object must match the Kubernetes OpenAPI schema of its kind (the
 * kubernetes-models validators), and the pods must meet the hardening rules below.
 * manifests.e2e-spec.ts checks the same files against the application (variables, probes, ports).
 */

const KUBECTL = process.env.KUBECTL ?? 'kubectl';
const K8S_DIR = path.join(REPO_ROOT, 'k8s');

/** Modules of the schema validators (kubernetes-models), by apiVersion. */
const MODEL_MODULES: Record<string, string> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'batch/v1': 'kubernetes-models/batch/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'policy/v1': 'kubernetes-models/policy/v1',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

/**
 * The schema errors of each object ('' when valid). The validators are ES modules that only
 * export to `import`, which Jest's module system cannot load: they run in a plain Node process.
 */
function schemaErrors(objects: unknown[]): Promise<string[]> {
  const script = `
    const modules = ${JSON.stringify(MODEL_MODULES)};
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const out = [];
    for (const o of JSON.parse(input)) {
      const name = modules[o.apiVersion];
      const Model = name && (await import(name))[o.kind];
      if (!Model) { out.push('no schema for ' + o.apiVersion + ' ' + o.kind); continue; }
      try { new Model(o).validate(); out.push(''); } catch (e) { out.push(e.message); }
    }
    process.stdout.write(JSON.stringify(out));`;
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: REPO_ROOT, timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(stderr || error.message)) : resolve(JSON.parse(stdout))),
    );
    child.stdin!.end(JSON.stringify(objects));
  });
}

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: any;
}

const FILES = readdirSync(K8S_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const OBJECTS = FILES.flatMap((file) =>
  parseAllDocuments(readFileSync(path.join(K8S_DIR, file), 'utf8'))
    .map((d) => d.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => !!o)
    .map((object) => ({ file, object, where: `k8s/${file} ${object.kind}/${object.metadata.name}` })),
);
const ofKind = (kind: string) => OBJECTS.filter((o) => o.object.kind === kind);
const WORKLOADS = [...ofKind('Deployment'), ...ofKind('Job')];

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(KUBECTL, args, { cwd: REPO_ROOT, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const labelsMatch = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

describe('k8s/ manifests', () => {
  it('finds the objects', () => {
    expect(FILES.length).toBeGreaterThan(5);
    expect(WORKLOADS.map((w) => w.object.metadata.name).sort()).toEqual(['quant-api', 'quant-migrate', 'quant-worker']);
  });

  it.each(FILES)('kubectl parses and recognises every object of %s', async (file) => {
    // --local: no cluster; kubectl still decodes each document and maps its kind.
    const res = await kubectl(['label', '--local', '-f', `k8s/${file}`, 'checked=true', '-o', 'name']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const expected = OBJECTS.filter((o) => o.file === file).map((o) => o.object.metadata.name);
    expect(
      res.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('/').pop()),
    ).toEqual(expected);
  });

  it('kubectl rejects a malformed file, so the check above can fail', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'k8s-'));
    try {
      writeFileSync(path.join(dir, 'bad.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: [name\n');
      const res = await kubectl(['label', '--local', '-f', path.join(dir, 'bad.yaml'), 'checked=true', '-o', 'name']);
      expect(res.code).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every object matches the Kubernetes schema of its kind', async () => {
    const errors = await schemaErrors(OBJECTS.map((o) => o.object));
    expect(OBJECTS.map((o, i) => [o.where, errors[i]])).toEqual(OBJECTS.map((o) => [o.where, '']));
  });

  it('the schema check rejects a wrong field type and an unknown kind, so the check above can fail', async () => {
    const deployment = structuredClone(ofKind('Deployment')[0].object);
    deployment.spec.replicas = 'two';
    const [wrongType, unknownKind] = await schemaErrors([deployment, { ...deployment, kind: 'Deploymnet' }]);
    expect(wrongType).toMatch(/replicas must be integer/);
    expect(unknownKind).toMatch(/no schema/);
  });

  it.each(WORKLOADS.map((w) => [w.where, w.object] as const))(
    '%s: every container is hardened and bounded',
    (_, object) => {
      const pod = object.spec.template.spec;
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(pod.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.securityContext.privileged ?? false).toBe(false);
        for (const kind of ['requests', 'limits']) {
          expect(c.resources?.[kind]?.cpu).toBeDefined();
          expect(c.resources?.[kind]?.memory).toBeDefined();
        }
      }
    },
  );

  it.each(ofKind('Deployment').map((d) => [d.where, d.object] as const))(
    '%s spreads its pods over nodes',
    (_, object) => {
      const constraints: Array<{ topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }> =
        object.spec.template.spec.topologySpreadConstraints ?? [];
      const labels = object.spec.template.metadata.labels;
      expect(
        constraints.some(
          (c) => c.topologyKey === 'kubernetes.io/hostname' && labelsMatch(c.labelSelector.matchLabels, labels),
        ),
      ).toBe(true);
    },
  );

  it('the API pods wait in preStop so that endpoints drop them before the drain starts', () => {
    const api = ofKind('Deployment').find((d) => d.object.metadata.name === 'quant-api')!.object;
    const preStop = api.spec.template.spec.containers[0].lifecycle?.preStop;
    expect(preStop?.sleep?.seconds ?? Number(preStop?.exec?.command?.[1])).toBeGreaterThan(0);
  });

  describe('network policies', () => {
    const policies = ofKind('NetworkPolicy').map((p) => p.object);
    const policiesFor = (labels: Record<string, string>) =>
      policies.filter((p) => labelsMatch(p.spec.podSelector.matchLabels ?? {}, labels));

    it('deny everything not allowed, for every pod of the namespace', () => {
      const deny = policies.find((p) => Object.keys(p.spec.podSelector).length === 0);
      expect(deny?.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
      expect(deny?.spec.ingress).toBeUndefined();
      expect(deny?.spec.egress).toBeUndefined();
    });

    it.each(WORKLOADS.map((w) => [w.where, w.object] as const))(
      '%s: ingress only to its own port, egress to DNS and PostgreSQL',
      (where, object) => {
        const labels = object.spec.template.metadata.labels;
        const own = policiesFor(labels).filter((p) => Object.keys(p.spec.podSelector).length > 0);
        expect(own.length).toBe(1);
        const ports = (object.spec.template.spec.containers[0].ports ?? []).map(
          (p: { containerPort: number }) => p.containerPort,
        );
        const ingressPorts = (own[0].spec.ingress ?? []).flatMap((r: { ports?: Array<{ port: number }> }) =>
          (r.ports ?? []).map((p) => p.port),
        );
        for (const port of ingressPorts) expect([where, ports]).toEqual([where, expect.arrayContaining([port])]);
        for (const rule of own[0].spec.ingress ?? []) expect(rule.from?.length).toBeGreaterThan(0);
        const egressPorts = (own[0].spec.egress ?? []).flatMap((r: { ports?: Array<{ port: number }> }) =>
          (r.ports ?? []).map((p) => p.port),
        );
        expect(egressPorts).toEqual(expect.arrayContaining([53, 5432]));
      },
    );
  });
});
