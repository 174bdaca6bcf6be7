import { AppConfig } from '../config/app-config';

/**
 * The database URL in use: DATABASE_URL, or the embedded server's URL that the
 * launcher provides. Held by a provider so nothing else needs to know which.
 */
export class DatabaseUrl {
  constructor(readonly value: string) {}

  static from(config: AppConfig, embeddedUrl?: string): DatabaseUrl {
    const url = config.env.DATABASE_URL ?? embeddedUrl;
    if (!url) throw new Error('no database: DATABASE_URL is unset and no embedded PostgreSQL was started');
    return new DatabaseUrl(url);
  }
}
