import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, ConfigError } from '@app/platform';
import { normalizeEmail } from './auth.service';
import { checkPassword } from './domain/password-policy';
import { generatePassword } from './domain/secrets';
import { PasswordService } from './password.service';
import { UserRepository } from './user.repository';

/**
 * On start, makes sure an admin exists: from ADMIN_EMAIL/ADMIN_PASSWORD, or with
 * a generated password logged once (never in production, which refuses to start).
 */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    private readonly config: AppConfig,
    private readonly users: UserRepository,
    private readonly passwords: PasswordService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (await this.users.adminExists()) return;
    const email = normalizeEmail(this.config.env.ADMIN_EMAIL ?? 'admin@localhost.localdomain');
    let password = this.config.env.ADMIN_PASSWORD;
    const generated = password === undefined;
    if (password === undefined) {
      if (this.config.isProduction) {
        // A ConfigError stops the process with this one line, like any other bad variable.
        throw new ConfigError([
          'No admin account exists and ADMIN_PASSWORD is not set: set ADMIN_EMAIL and ADMIN_PASSWORD (at least 12 characters) for the first start in production',
        ]);
      }
      password = generatePassword();
    }
    const violation = checkPassword(password, email);
    if (violation) throw new ConfigError([`ADMIN_PASSWORD is not acceptable: ${violation.message}`]);
    const outcome = await this.users.createAdminIfNone(email, await this.passwords.hash(password));
    if (outcome === 'email_taken') {
      this.logger.error(`No admin exists and ADMIN_EMAIL ${email} belongs to an existing user; no admin was created.`);
    } else if (outcome === 'created') {
      this.logger.warn(
        generated
          ? `Created the admin account ${email} with the generated password ${password} (shown once; change it after logging in).`
          : `Created the admin account ${email} from ADMIN_EMAIL/ADMIN_PASSWORD.`,
      );
    }
  }
}
