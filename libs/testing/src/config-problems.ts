import { ConfigError, loadConfig } from '@app/platform';

/** The problems `loadConfig` reports for `env` (empty when it loads). */
export function configProblems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}
