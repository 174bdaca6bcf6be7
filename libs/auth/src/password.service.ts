import { Injectable, OnModuleInit } from '@nestjs/common';
import * as argon2 from 'argon2';
import { AppConfig } from '@app/platform';
import { checkPassword } from './domain/password-policy';
import { randomToken } from './domain/secrets';
import { WeakPasswordError } from './auth.errors';

/** argon2id hashing with the cost from config, and the password policy. */
@Injectable()
export class PasswordService implements OnModuleInit {
  private dummyHash = '';

  constructor(private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    // Verified against when a login names an unknown email, so that answer takes as long as a wrong password.
    this.dummyHash = await this.hash(randomToken(16));
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, {
      type: argon2.argon2id,
      memoryCost: this.config.env.ARGON2_MEMORY_KIB,
      timeCost: this.config.env.ARGON2_TIME_COST,
      parallelism: 1,
    });
  }

  async verify(hash: string | undefined, password: string): Promise<boolean> {
    try {
      const ok = await argon2.verify(hash ?? this.dummyHash, password);
      return ok && hash !== undefined;
    } catch {
      return false;
    }
  }

  /** Throws WeakPasswordError (400, naming the rule) when `password` breaks the policy. */
  assertAcceptable(password: string, email: string, field = 'password'): void {
    const violation = checkPassword(password, email);
    if (violation) throw new WeakPasswordError(violation.rule, violation.message, field);
  }
}
