'use strict';
// Two projects: `unit` (specs beside the code, no services) and `e2e` (test/,
// real PostgreSQL and Redis). `npm test` runs both.
// NestJS 12 and a few other dependencies ship as ES modules only; the app is
// CommonJS (Node >= 20.19 can require() ESM), but Jest's module system cannot,
// so those packages are transformed by the same swc config as our own code.
const fs = require('node:fs');
const path = require('node:path');
const { swcOptions } = require('./scripts/swc-options');

function esmPackages() {
  const dir = path.join(__dirname, 'node_modules');
  const names = [];
  if (!fs.existsSync(dir)) return names;
  const consider = (name) => {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, name, 'package.json'), 'utf8'));
      if (pkg.type === 'module') names.push(name);
    } catch {
      /* not a package */
    }
  };
  for (const entry of fs.readdirSync(dir)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      for (const sub of fs.readdirSync(path.join(dir, entry))) consider(`${entry}/${sub}`);
    } else consider(entry);
  }
  return names;
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const esm = esmPackages().map(escape).join('|');
const transform = { '^.+\\.(t|j|mj)s$': ['@swc/jest', { ...swcOptions(), sourceMaps: 'inline' }] };
const transformIgnorePatterns = [`/node_modules/(?!(${esm})/)`];
const moduleNameMapper = {
  '^@app/migrations$': '<rootDir>/migrations/index.ts',
  '^@app/(platform|engine|testing|auth|market|strategies|tiered-backtests|ai-chat|research)$':
    '<rootDir>/libs/$1/src/index.ts',
  '^@app/(platform|engine|testing|auth|market|strategies|tiered-backtests|ai-chat|research)/(.*)$':
    '<rootDir>/libs/$1/src/$2',
};
const common = { testEnvironment: 'node', transform, transformIgnorePatterns, moduleNameMapper, rootDir: __dirname };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,scripts,test}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
    },
  ],
  // A global option: Jest ignores testTimeout inside a project. End-to-end tests boot apps and
  // wait on queues, so they need more than the 5 s default; unit tests finish far below either.
  testTimeout: 60000,
};
