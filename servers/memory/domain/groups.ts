import { PlexusError } from '../../../lib/errors.ts';
import type { MemoryContext } from './context.ts';

export interface GroupView {
  name: string;
  owner: string;
  members: string[];
}

/**
 * Sharing groups for the `group` scope. The federation server keeps membership (it is not synced as
 * records): the owner adds and removes members; a member may leave.
 */
export class Groups {
  readonly #ctx: MemoryContext;

  constructor(ctx: MemoryContext) {
    this.#ctx = ctx;
  }

  async create(actor: string, name: string): Promise<GroupView> {
    if (!(await this.#ctx.store.createGroup(name, actor, this.#ctx.now()))) {
      throw new PlexusError('conflict', 'group_exists', `group '${name}' already exists`, {
        hint: 'pick another name, or ask its owner to add you',
        field: 'name',
      });
    }
    return this.#view(name, actor);
  }

  async setMember(
    actor: string,
    group: string,
    member: string,
    present: boolean,
  ): Promise<GroupView & { changed: boolean }> {
    const owner = await this.#owner(group);
    const leaving = !present && member === actor;
    if (owner !== actor && !leaving) {
      throw new PlexusError(
        'forbidden',
        'not_group_owner',
        `only the owner of '${group}' changes its members`,
      );
    }
    if (!present && member === owner) {
      throw new PlexusError('invalid', 'invalid_input', `member: the owner cannot leave '${group}'`, {
        field: 'member',
      });
    }
    const changed = await this.#ctx.store.setMember(group, member, present, this.#ctx.now());
    return { ...(await this.#view(group, owner)), changed };
  }

  /** The groups the actor belongs to, with their members. */
  async list(actor: string): Promise<GroupView[]> {
    const names = await this.#ctx.store.groupsOf(actor);
    return Promise.all(names.map(async (name) => this.#view(name, await this.#owner(name))));
  }

  async #owner(group: string): Promise<string> {
    const owner = await this.#ctx.store.groupOwner(group);
    if (owner === null) {
      throw new PlexusError('not_found', 'group_not_found', `group '${group}' does not exist`, {
        hint: 'create it with create_group',
        field: 'group',
      });
    }
    return owner;
  }

  async #view(name: string, owner: string): Promise<GroupView> {
    return { name, owner, members: await this.#ctx.store.members(name) };
  }
}
