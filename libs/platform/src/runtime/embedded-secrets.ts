import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppConfig } from '../config/app-config';

interface StoredSecrets {
  JWT_SECRET: string;
  ENCRYPTION_KEY: string;
}

/**
 * Embedded mode only: JWT_SECRET and ENCRYPTION_KEY, when not given, are
 * generated once and kept in DATA_DIR (mode 0600) beside the database they
 * protect, so sessions and stored exchange credentials survive a restart.
 * Production never gets here: it refuses to start without both.
 */
export function withEmbeddedSecrets(config: AppConfig): AppConfig {
  if (config.runMode !== 'embedded' || (config.env.JWT_SECRET && config.env.ENCRYPTION_KEY)) return config;
  const file = path.join(config.dataDir, 'secrets.json');
  let stored: StoredSecrets;
  if (fs.existsSync(file)) {
    stored = JSON.parse(fs.readFileSync(file, 'utf8')) as StoredSecrets;
  } else {
    stored = { JWT_SECRET: randomBytes(48).toString('base64url'), ENCRYPTION_KEY: randomBytes(32).toString('hex') };
    fs.mkdirSync(config.dataDir, { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  }
  return config.with({
    JWT_SECRET: config.env.JWT_SECRET ?? stored.JWT_SECRET,
    ENCRYPTION_KEY: config.env.ENCRYPTION_KEY ?? stored.ENCRYPTION_KEY,
  });
}
