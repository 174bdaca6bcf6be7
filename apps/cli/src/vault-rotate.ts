import { rotateVault, VaultRotationReport } from '@app/auth';
import { AppConfig, loadConfig, redactUrl } from '@app/platform';

/**
 * `npm run vault:rotate`: re-encrypts every stored exchange credential under
 * ENCRYPTION_KEY (version ENCRYPTION_KEY_VERSION), reading older records with
 * ENCRYPTION_KEY_PREVIOUS. Run it after deploying the new key and version, then
 * drop ENCRYPTION_KEY_PREVIOUS.
 */
export async function runVaultRotate(
  config: AppConfig,
  out: { write(text: string): unknown } = process.stdout,
): Promise<VaultRotationReport> {
  const url = config.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL must be set (start the embedded database with the API first)');
  const report = await rotateVault(config, url);
  out.write(
    `vault:rotate on ${redactUrl(url)}: ${report.reencrypted} credential(s) re-encrypted; all under key version ${report.keyVersion}\n`,
  );
  return report;
}

if (require.main === module) {
  runVaultRotate(loadConfig()).catch((err: unknown) => {
    const { code, extensions } = err as { code?: unknown; extensions?: unknown };
    const detail = extensions && Object.keys(extensions).length ? ` ${JSON.stringify(extensions)}` : '';
    const prefix = typeof code === 'string' ? `${code}: ` : '';
    console.error(`vault:rotate: ${prefix}${err instanceof Error ? err.message : String(err)}${detail}`);
    process.exit(1);
  });
}
