import { AppConfig } from '../config/app-config';

/**
 * Start-up and shutdown lines, written before Nest's logger exists and after it
 * is gone; in the same format as the rest of the logs (JSON or plain).
 */
export function bootLog(config: AppConfig | undefined, service: string): (message: string) => void {
  const json = config ? config.logFormat === 'json' : process.env.NODE_ENV === 'production';
  return (message) => {
    if (config?.env.LOG_LEVEL === 'silent') return;
    const line = json
      ? JSON.stringify({ level: 30, time: Date.now(), service, msg: message })
      : `[${new Date().toISOString().slice(11, 23)}] ${service}: ${message}`;
    process.stdout.write(`${line}\n`);
  };
}
