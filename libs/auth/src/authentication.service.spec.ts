import { AuthenticationService } from './authentication.service';
import type { ApiKeyRepository } from './api-key.repository';
import { newApiKey } from './domain/secrets';
import type { SessionStateService } from './session-state.service';
import type { TokenService } from './token.service';
import type { UserRecord, UserRepository } from './user.repository';

describe('AuthenticationService.currentUser', () => {
  const user: UserRecord = {
    id: '00000000-0000-4000-8000-000000000001',
    email: 'a@example.com',
    role: 'user',
    tier: 'pro',
    disabled: false,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    cursorTs: '1970-01-01 00:00:00',
  };

  function service(found: UserRecord | undefined) {
    const findById = jest.fn(() => Promise.resolve(found));
    const users = { findById } as unknown as UserRepository;
    const auth = new AuthenticationService(
      {} as TokenService,
      users,
      {} as ApiKeyRepository,
      {} as SessionStateService,
    );
    return { auth, findById };
  }

  it('reads a user once and then answers from memory', async () => {
    const { auth, findById } = service(user);
    expect(await auth.currentUser(user.id)).toEqual(user);
    expect(await auth.currentUser(user.id)).toEqual(user);
    expect(findById).toHaveBeenCalledTimes(1);
  });

  it('remembers that a user does not exist as well', async () => {
    const { auth, findById } = service(undefined);
    expect(await auth.currentUser(user.id)).toBeUndefined();
    expect(await auth.currentUser(user.id)).toBeUndefined();
    expect(findById).toHaveBeenCalledTimes(1);
  });
});

describe('AuthenticationService.authenticateApiKey', () => {
  function service() {
    const findOwnerByHash = jest.fn(() => Promise.resolve(undefined));
    const keys = { findOwnerByHash } as unknown as ApiKeyRepository;
    const auth = new AuthenticationService({} as TokenService, {} as UserRepository, keys, {} as SessionStateService);
    return { auth, findOwnerByHash };
  }

  it('rejects a key that does not have the issued shape without a lookup', async () => {
    const { auth, findOwnerByHash } = service();
    for (const key of ['qk_nope', 'x'.repeat(55), `${newApiKey().key}x`, `Bearer ${newApiKey().key}`]) {
      await expect(auth.authenticateApiKey(key)).rejects.toMatchObject({ code: 'API_KEY_INVALID' });
    }
    expect(findOwnerByHash).not.toHaveBeenCalled();
  });

  it('looks an unknown well-formed key up once, then answers from memory', async () => {
    const { auth, findOwnerByHash } = service();
    const { key } = newApiKey();
    for (let i = 0; i < 3; i++) {
      await expect(auth.authenticateApiKey(key)).rejects.toMatchObject({ code: 'API_KEY_INVALID' });
    }
    expect(findOwnerByHash).toHaveBeenCalledTimes(1);
    await expect(auth.authenticateApiKey(newApiKey().key)).rejects.toMatchObject({ code: 'API_KEY_INVALID' });
    expect(findOwnerByHash).toHaveBeenCalledTimes(2);
  });
});
