'use strict';
// Lets a worker thread started from TypeScript sources (Jest runs the app from source) load
// .ts files with the same swc configuration as the build. The built app never loads this.
const fs = require('node:fs');
const swc = require('@swc/core');
const { swcOptions } = require('./swc-options');

const options = { ...swcOptions(), sourceMaps: 'inline' };
require.extensions['.ts'] = function compile(module, filename) {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), { ...options, filename });
  module._compile(code, filename);
};
