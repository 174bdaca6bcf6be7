// `npm ci` needs a lock entry for every optional platform package (swc, msgpackr,
// ...). The registry this project installs from serves only the linux-x64 builds,
// so `npm install` leaves the others out and `npm ci` then refuses the lock. This
// adds the missing entries (no download: npm skips them by os/cpu). Run it after
// changing dependencies: `node scripts/fix-lockfile.js .`
const fs = require('fs');
const { execSync } = require('child_process');
const dir = process.argv[2] || '.';
const lock = JSON.parse(fs.readFileSync(dir + '/package-lock.json', 'utf8'));
let out = '';
try {
  execSync('npm ci --dry-run --ignore-scripts', { cwd: dir, stdio: 'pipe' });
} catch (e) {
  out = String(e.stderr) + String(e.stdout);
}
const missing = [...out.matchAll(/Missing: (.+?)@(\S*) from lock file/g)].map((m) => m[1]);
console.log('missing', missing.length);
for (const name of missing) {
  let spec;
  for (const [p, entry] of Object.entries(lock.packages)) {
    const od = entry.optionalDependencies || {};
    if (od[name]) {
      spec = od[name];
      break;
    }
  }
  if (!spec) {
    console.log('no parent for', name);
    continue;
  }
  const version = spec.replace(/^[\^~=]/, '');
  const m = /(darwin|linux|win32|android|freebsd|openbsd|sunos|aix)/.exec(name);
  const c =
    /(arm64|x64|ia32|arm|ppc64|s390x|riscv64|loong64|wasm32)/.exec(
      name.replace(/^.*\//, '').replace(/^(darwin|linux|win32|android|freebsd)-?/, ''),
    ) || /(arm64|x64|ia32|arm|ppc64|s390x|riscv64|wasm32)/.exec(name);
  const entry = { version, optional: true };
  if (m) entry.os = [m[1]];
  if (c) entry.cpu = [c[1]];
  if (/musl/.test(name)) entry.libc = ['musl'];
  else if (/gnu/.test(name)) entry.libc = ['glibc'];
  lock.packages['node_modules/' + name] = entry;
}
fs.writeFileSync(dir + '/package-lock.json', JSON.stringify(lock, null, 2) + '\n');
