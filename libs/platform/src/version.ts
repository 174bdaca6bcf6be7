import { readFileSync } from 'node:fs';
import * as path from 'node:path';

function readVersion(): string {
  for (const up of ['../../..', '../../../..']) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(__dirname, up, 'package.json'), 'utf8')) as { version?: string };
      if (pkg.version) return pkg.version;
    } catch {
      /* try the next candidate: src/ and dist/ differ by one level */
    }
  }
  return '0.0.0';
}

/** The product version from package.json. */
export const APP_VERSION = readVersion();
