import { AuthenticationService } from './authentication.service';
import type { ApiKeyRepository } from './api-key.repository';
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
    const auth = new AuthenticationService({} as TokenService, users, {} as ApiKeyRepository);
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
