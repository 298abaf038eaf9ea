import { z } from 'zod';
import { generateIdentityKeys, type IdentityKeys } from '../../lib/crypto/identity-keys.ts';
import { PlexusError } from '../../lib/errors.ts';
import type { KeyVault } from '../../lib/identity/key-vault.ts';
import { AccessScope } from '../../schemas/identity/settings.ts';
import type { IdentityLink } from '../identity-link.ts';
import { decoyHash, hashPassword, verifyPassword } from './passwords.ts';
import type { OAuthStore, UserRecord } from './store.ts';

/** A user name: what people type on the sign-in page and the CLI; also their identity card's name. */
export const UserName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._@-]{0,63}$/,
    'must be 1-64 lower-case letters, digits and . _ @ - (starting alphanumeric)',
  );

/** What a new user's tokens may carry unless given other scopes. */
export const DEFAULT_USER_SCOPES: readonly AccessScope[] = ['read', 'write'];

function nameOf(name: string, field: string): string {
  const parsed = UserName.safeParse(name);
  if (!parsed.success)
    throw new PlexusError('invalid', 'invalid_user_name', `${field}: ${parsed.error.issues[0]?.message}`, {
      field,
    });
  return parsed.data;
}

/**
 * The hub's users: people who sign in on the consent page. Each gets a did:key kept by the hub (secret keys
 * sealed by the data dir's key vault), registered with identity like an agent's, and that DID is the
 * subject of their access tokens.
 */
export class Users {
  readonly #store: OAuthStore;
  readonly #vault: KeyVault;
  readonly #now: () => number;

  constructor(deps: { store: OAuthStore; vault: KeyVault; now?: () => number }) {
    this.#store = deps.store;
    this.#vault = deps.vault;
    this.#now = deps.now ?? Date.now;
  }

  async add(
    name: string,
    password: string,
    scopes: readonly string[] = DEFAULT_USER_SCOPES,
  ): Promise<UserRecord> {
    const checkedName = nameOf(name, 'name');
    const checkedScopes = z
      .array(AccessScope)
      .min(1)
      .safeParse([...new Set(scopes)]);
    if (!checkedScopes.success)
      throw new PlexusError(
        'invalid',
        'invalid_scope',
        `scopes: each must be one of ${AccessScope.options.join(', ')}`,
        {
          field: 'scopes',
        },
      );
    const keys = generateIdentityKeys();
    const user: UserRecord = {
      name: checkedName,
      did: keys.did,
      passwordHash: await hashPassword(password),
      scopes: checkedScopes.data,
      sealedKeys: this.#vault.seal(keys),
      createdAt: this.#now(),
      registeredAt: null,
    };
    if (!(await this.#store.addUser(user)))
      throw new PlexusError('conflict', 'user_exists', `a user named '${checkedName}' exists already`);
    return user;
  }

  list(): Promise<UserRecord[]> {
    return this.#store.listUsers();
  }

  get(name: string): Promise<UserRecord | null> {
    return this.#store.getUser(name);
  }

  async #existing(name: string): Promise<UserRecord> {
    const user = await this.#store.getUser(nameOf(name, 'name'));
    if (!user) throw new PlexusError('not_found', 'user_not_found', `no user named '${name}'`);
    return user;
  }

  /** Removes a user: their grants are revoked and sessions ended (their DID stays known to identity). */
  async remove(name: string): Promise<UserRecord> {
    const user = await this.#existing(name);
    await this.#store.removeUser(user.name, this.#now());
    return user;
  }

  /** Sets a new password and ends the user's browser sessions. */
  async setPassword(name: string, password: string): Promise<void> {
    const user = await this.#existing(name);
    await this.#store.setPassword(user.name, await hashPassword(password));
    await this.#store.deleteUserSessions(user.name);
  }

  /** The user whose name and password these are, or null; as slow for an unknown name as a known one. */
  async authenticate(name: string, password: string): Promise<UserRecord | null> {
    const user = UserName.safeParse(name).success ? await this.#store.getUser(name) : null;
    const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
    return ok ? user : null;
  }

  keysOf(user: UserRecord): IdentityKeys {
    return this.#vault.open(user.did, user.sealedKeys);
  }

  /** Registers the user's DID with identity the first time it is needed (a user may be added offline). */
  async ensureRegistered(user: UserRecord, identity: IdentityLink): Promise<void> {
    if (user.registeredAt !== null) return;
    const now = this.#now();
    await identity.registerPerson(this.keysOf(user), user.name, now);
    await this.#store.markRegistered(user.name, now);
  }
}
