'use strict';
// Compiles every TypeScript source (apps, libs, migrations, bench) to CommonJS
// in dist/ with swc. Type checking is `npm run check` (tsc --noEmit); keeping it
// separate makes a build take about a second, so `npm start` can always build.
//   --if-stale  skip when dist/ is newer than every source file
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');
const { swcOptions, root } = require('./swc-options');

const SOURCE_DIRS = ['apps', 'libs', 'migrations', 'bench'];
const OUT = path.join(root, 'dist');
const STAMP = path.join(OUT, '.build-stamp');

function* walk(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (/\.ts$/.test(entry.name) && !/\.(spec|e2e-spec)\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      yield full;
    } else if (/\.(sql|json)$/.test(entry.name)) {
      yield full;
    }
  }
}

function sources() {
  return SOURCE_DIRS.flatMap((d) => [...walk(path.join(root, d))]);
}

function isStale(files) {
  if (!fs.existsSync(STAMP)) return true;
  const built = fs.statSync(STAMP).mtimeMs;
  const inputs = [...files, path.join(__dirname, 'build.js'), path.join(__dirname, 'swc-options.js')];
  return inputs.some((f) => fs.statSync(f).mtimeMs > built);
}

async function main() {
  const files = sources();
  if (process.argv.includes('--if-stale') && !isStale(files)) return;
  const started = Date.now();
  fs.rmSync(OUT, { recursive: true, force: true });
  const options = swcOptions();
  await Promise.all(
    files.map(async (file) => {
      const rel = path.relative(root, file);
      const target = path.join(OUT, rel.replace(/\.ts$/, '.js'));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      if (!file.endsWith('.ts')) {
        fs.copyFileSync(file, target);
        return;
      }
      const out = await swc.transformFile(file, {
        ...options,
        filename: file,
        sourceFileName: path.relative(path.dirname(target), file),
      });
      fs.writeFileSync(target, `${out.code}\n//# sourceMappingURL=${path.basename(target)}.map\n`);
      if (out.map) fs.writeFileSync(`${target}.map`, out.map);
    }),
  );
  fs.writeFileSync(STAMP, new Date().toISOString());
  if (!process.argv.includes('--quiet')) {
    process.stderr.write(`built ${files.length} files into dist/ in ${Date.now() - started} ms\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`build failed: ${err && err.stack ? err.stack : String(err)}\n`);
  process.exit(1);
});
