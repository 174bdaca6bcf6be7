import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './test-env';

/** The real market data the tests and benches read; test/fixtures/README.md says where each file came from. */
export const FIXTURES_DIR = path.join(REPO_ROOT, 'test', 'fixtures');

/**
 * The absolute path of one file in test/fixtures. A name that is not there throws at once,
 * so a misspelt fixture fails with its name rather than as an ENOENT deep in a parser.
 */
export function fixturePath(name: string): string {
  const file = path.join(FIXTURES_DIR, name);
  if (path.dirname(file) !== FIXTURES_DIR || !fs.existsSync(file)) {
    throw new Error(`no fixture "${name}" in ${FIXTURES_DIR}`);
  }
  return file;
}
