import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminBootstrapService } from './admin-bootstrap.service';
import { ApiKeyEntity } from './api-key.entity';
import { AuditEventEntity } from './audit-event.entity';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeyService } from './api-key.service';
import { AuthService } from './auth.service';
import { AuthenticationService } from './authentication.service';
import { CredentialVault } from './credential-vault.service';
import { ExchangeCredentialEntity } from './exchange-credential.entity';
import { ExchangeCredentialRepository } from './exchange-credential.repository';
import { PasswordService } from './password.service';
import { RefreshTokenEntity } from './refresh-token.entity';
import { SessionStateService } from './session-state.service';
import { SessionRepository } from './session.repository';
import { TokenService } from './token.service';
import { UserAdminService } from './user-admin.service';
import { UserEntity } from './user.entity';
import { UserRepository } from './user.repository';
import { VaultCipher } from './vault-cipher';

/**
 * Users, sessions (JWT + rotating refresh tokens), API keys, admin account management, the audit log
 * and the exchange-credential vault.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      UserEntity,
      RefreshTokenEntity,
      ApiKeyEntity,
      AuditEventEntity,
      ExchangeCredentialEntity,
    ]),
  ],
  providers: [
    UserRepository,
    SessionRepository,
    SessionStateService,
    ApiKeyRepository,
    AuditRepository,
    AuditService,
    PasswordService,
    TokenService,
    AuthenticationService,
    AuthService,
    ApiKeyService,
    UserAdminService,
    AdminBootstrapService,
    ExchangeCredentialRepository,
    VaultCipher,
    CredentialVault,
  ],
  exports: [AuthenticationService, AuthService, ApiKeyService, UserAdminService, AuditService, CredentialVault],
})
export class AuthModule {}
