'use strict';
// One swc configuration for the build (scripts/build.js) and for Jest, so that
// tests run exactly the code that ships. tsconfig paths are rewritten by swc.
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function swcOptions() {
  return {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2023',
      keepClassNames: true,
      baseUrl: root,
      paths: {
        '@app/platform': ['libs/platform/src/index.ts'],
        '@app/platform/*': ['libs/platform/src/*'],
        '@app/engine': ['libs/engine/src/index.ts'],
        '@app/engine/*': ['libs/engine/src/*'],
        '@app/auth': ['libs/auth/src/index.ts'],
        '@app/auth/*': ['libs/auth/src/*'],
        '@app/market': ['libs/market/src/index.ts'],
        '@app/market/*': ['libs/market/src/*'],
        '@app/strategies': ['libs/strategies/src/index.ts'],
        '@app/strategies/*': ['libs/strategies/src/*'],
        '@app/tiered-backtests': ['libs/tiered-backtests/src/index.ts'],
        '@app/tiered-backtests/*': ['libs/tiered-backtests/src/*'],
        '@app/ai-chat': ['libs/ai-chat/src/index.ts'],
        '@app/ai-chat/*': ['libs/ai-chat/src/*'],
        '@app/research': ['libs/research/src/index.ts'],
        '@app/research/*': ['libs/research/src/*'],
        '@app/testing': ['libs/testing/src/index.ts'],
        '@app/testing/*': ['libs/testing/src/*'],
        '@app/migrations': ['migrations/index.ts'],
      },
    },
    module: { type: 'commonjs', strict: false, noInterop: false },
    sourceMaps: true,
  };
}

module.exports = { swcOptions, root };
