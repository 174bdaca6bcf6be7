import { loadConfig } from '../config/app-config';
import { redactUrl } from '../config/config.schema';
import { applyMigrations, pendingMigrations, revertLastMigration } from './migrations-runner';

/**
 * `npm run migration:run|revert` and `node .../migrate-cli.js show`. Production
 * runs this as a separate step (a Kubernetes Job, a compose service) before new
 * pods take traffic; the API refuses to serve while migrations are pending.
 */
async function main(): Promise<void> {
  const command = process.argv[2] ?? 'run';
  const config = loadConfig();
  const url = config.env.DATABASE_URL;
  if (!url) {
    throw new Error('DATABASE_URL must be set (the embedded mode migrates by itself at start)');
  }
  const where = redactUrl(url);
  switch (command) {
    case 'run': {
      const report = await applyMigrations(config, url);
      const list = report.applied.length ? report.applied.join(', ') : 'none pending';
      const queue = report.queueSchemaVersion !== undefined ? `; queue schema v${report.queueSchemaVersion}` : '';
      console.log(`migrations applied on ${where}: ${list}${queue}`);
      return;
    }
    case 'revert':
      await revertLastMigration(config, url);
      console.log(`reverted the last migration on ${where}`);
      return;
    case 'show': {
      const pending = await pendingMigrations(config, url);
      console.log(pending.length ? `pending: ${pending.join(', ')}` : 'up to date');
      process.exitCode = pending.length ? 3 : 0;
      return;
    }
    default:
      throw new Error(`unknown command "${command}" (use run, revert or show)`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
