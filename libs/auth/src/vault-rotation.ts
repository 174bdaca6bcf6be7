import { AppConfig, dataSourceOptions } from '@app/platform';
import { DataSource } from 'typeorm';
import { credentialAad } from './credential-vault.service';
import { ExchangeCredentialEntity } from './exchange-credential.entity';
import { ExchangeCredentialRepository } from './exchange-credential.repository';
import { VaultCipher } from './vault-cipher';
import { VaultDisabledError } from './auth.errors';

export interface VaultRotationReport {
  keyVersion: number;
  reencrypted: number;
}

const BATCH = 100;

/**
 * Re-encrypts every exchange credential not yet under ENCRYPTION_KEY_VERSION,
 * reading old records with ENCRYPTION_KEY_PREVIOUS. Safe to re-run: records
 * already under the current version are left alone. Stops at the first record
 * it cannot decrypt (its batch is rolled back).
 */
export async function rotateVault(config: AppConfig, databaseUrl: string): Promise<VaultRotationReport> {
  const cipher = new VaultCipher(config);
  if (!cipher.enabled) throw new VaultDisabledError();
  const dataSource = new DataSource(dataSourceOptions(config, databaseUrl, [ExchangeCredentialEntity]));
  await dataSource.initialize();
  try {
    const credentials = new ExchangeCredentialRepository(dataSource.getRepository(ExchangeCredentialEntity));
    let reencrypted = 0;
    for (;;) {
      const n = await credentials.resealBatch(cipher.currentVersion, BATCH, (record) =>
        cipher.reseal(record.sealed, credentialAad(record.userId, record.id)),
      );
      if (n === 0) break;
      reencrypted += n;
    }
    return { keyVersion: cipher.currentVersion, reencrypted };
  } finally {
    await dataSource.destroy();
  }
}
