import * as fs from 'node:fs';
import * as path from 'node:path';
import { DISK_MODE_HELPERS } from '../../apps/api/src/http/multipart';

/**
 * The module borders of docs/architecture.md, checked on every test run: libraries never
 * import from apps/, the engine stays pure, domain/ folders hold no I/O, and
 * libraries reach each other only through their `@app/...` entry points.
 */
const ROOT = path.resolve(__dirname, '../..');

function sourceFiles(dir: string, includeSpecs = false): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.ts') && (includeSpecs || !/\.(spec|e2e-spec)\.ts$/.test(e.name))) out.push(full);
    }
  };
  walk(path.join(ROOT, dir));
  return out;
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specs = [
    ...text.matchAll(
      /(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g,
    ),
  ];
  return specs.map((m) => m[1] ?? m[2] ?? m[3]);
}

function resolvesInto(file: string, spec: string, dir: string): boolean {
  if (!spec.startsWith('.')) return false;
  const target = path.resolve(path.dirname(file), spec);
  return target.startsWith(path.join(ROOT, dir) + path.sep);
}

const rel = (f: string) => path.relative(ROOT, f);

describe('module borders', () => {
  it('libraries never import from apps/', () => {
    const offenders = sourceFiles('libs', true).flatMap((f) =>
      importsOf(f)
        .filter((s) => resolvesInto(f, s, 'apps') || s.startsWith('apps/'))
        .map((s) => `${rel(f)} -> ${s}`),
    );
    expect(offenders).toEqual([]);
  });

  it('libraries reach other libraries only through @app/<name>', () => {
    const offenders = sourceFiles('libs', true).flatMap((f) => {
      const ownLib = rel(f).split(path.sep)[1];
      return importsOf(f)
        .filter((s) => s.startsWith('.'))
        .filter((s) => {
          const target = rel(path.resolve(path.dirname(f), s)).split(path.sep);
          return target[0] === 'libs' && target[1] !== ownLib;
        })
        .map((s) => `${rel(f)} -> ${s}`);
    });
    expect(offenders).toEqual([]);
  });

  it('the engine imports no framework, database, queue or I/O module', () => {
    const forbidden =
      /^(@nestjs\/|typeorm|bullmq|pg$|ioredis|fastify|@app\/(?!engine)|(node:)?(fs|net|http|https|child_process|dgram|worker_threads)$)/;
    const offenders = sourceFiles('libs/engine/src').flatMap((f) =>
      importsOf(f)
        .filter((s) => forbidden.test(s))
        .map((s) => `${rel(f)} -> ${s}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the engine reads no clock and no random source', () => {
    const offenders = sourceFiles('libs/engine/src').flatMap((f) => {
      const code = fs.readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      return /Date\.now\(|new Date\(\s*\)|Math\.random\(|performance\.now\(|process\.hrtime/.test(code) ? [rel(f)] : [];
    });
    expect(offenders).toEqual([]);
  });

  it('domain/ folders hold no repositories, controllers or framework code', () => {
    const files = sourceFiles('libs').filter((f) => f.split(path.sep).includes('domain'));
    const offenders = files.flatMap((f) =>
      importsOf(f)
        .filter((s) => /\.(repository|controller|entity)$|^@nestjs\/|^typeorm|^bullmq/.test(s))
        .map((s) => `${rel(f)} -> ${s}`),
    );
    expect(offenders).toEqual([]);
  });

  it('uploads are streamed: nothing calls the disk-mode helpers whose cleanup hooks are left out', () => {
    const own = path.join(ROOT, 'apps/api/src/http/multipart.ts');
    const offenders = [...sourceFiles('apps'), ...sourceFiles('libs')]
      .filter((f) => f !== own)
      .filter((f) => {
        const text = fs.readFileSync(f, 'utf8');
        return DISK_MODE_HELPERS.some((helper) => new RegExp(`\\b${helper}\\b`).test(text));
      });
    expect(offenders.map(rel)).toEqual([]);
  });

  it('replies are hijacked only through hijackReply, which keeps the in-flight gauge right', () => {
    const own = path.join(ROOT, 'apps/api/src/http/fastify-hooks.ts');
    const offenders = [...sourceFiles('apps'), ...sourceFiles('libs')]
      .filter((f) => f !== own)
      .filter((f) => /\.hijack\(\)/.test(fs.readFileSync(f, 'utf8')));
    expect(offenders.map(rel)).toEqual([]);
  });

  it('the checks see the code they guard', () => {
    expect(sourceFiles('libs/engine/src').length).toBeGreaterThan(5);
    expect(importsOf(path.join(ROOT, 'apps/api/src/bootstrap.ts'))).toContain('@app/platform');
  });
});
