import { checkEnvelope, createEnvelope, openEnvelope } from '../lib/crypto/envelope.ts';
import { DID_KEY_PATTERN } from '../lib/crypto/multikey.ts';
import type { ReplayGuard } from '../lib/crypto/replay.ts';
import { PlexusError } from '../lib/errors.ts';
import type { LoadedIdentity } from '../lib/identity/identity-file.ts';
import type { Envelope } from '../schemas/envelope.ts';
import type { JsonValue } from '../schemas/common.ts';
import type { HubSession } from './hub-session.ts';
import type { Contact, Mailbox } from './mailbox.ts';

/**
 * End-to-end chat: recipients are resolved (by DID through the identity server, by name through the registry)
 * and their key-agreement keys cached; messages are sealed to that key, signed and sent through the router.
 * Incoming envelopes are verified, replay-checked and opened here; the runtime stores and acks them.
 */
export const CHAT_TYPE = 'chat/message';
/** A cached key is used this long before it is resolved again (a rotation is picked up within it). */
const CONTACT_TTL_MS = 10 * 60_000;

interface ResolvedDid {
  did: string;
  revoked: boolean;
  card: { name: string; keyAgreement: string };
}

interface FoundAgents {
  agents: { did: string; name: string }[];
}

export class Chat {
  readonly #identity: LoadedIdentity;
  readonly #mailbox: Mailbox;
  readonly #hub: () => HubSession;

  constructor(identity: LoadedIdentity, mailbox: Mailbox, hub: () => HubSession) {
    this.#identity = identity;
    this.#mailbox = mailbox;
    this.#hub = hub;
  }

  /** The recipient's DID, name and key-agreement key, from the cache or the hub. */
  async resolve(to: string, options: { fresh?: boolean } = {}): Promise<Contact> {
    const now = Date.now();
    const cached = DID_KEY_PATTERN.test(to) ? this.#mailbox.contact(to) : this.#mailbox.contactByName(to);
    if (cached && !options.fresh && now - cached.fetchedAt < CONTACT_TTL_MS) return cached;
    const did = DID_KEY_PATTERN.test(to) ? to : await this.#didByName(to);
    let resolved: ResolvedDid;
    try {
      resolved = await this.#hub().call<ResolvedDid>('identity__resolve_did', { did });
    } catch (error) {
      if (error instanceof PlexusError && error.code === 'did_not_found')
        throw new PlexusError('not_found', 'recipient_unknown', `${did} is not registered with the hub`, {
          hint: 'the recipient must have started its agent against this hub once',
        });
      throw error;
    }
    if (resolved.revoked) {
      this.#mailbox.forgetContact(did);
      throw new PlexusError(
        'forbidden',
        'recipient_revoked',
        `${did} is revoked; messages to it are refused`,
      );
    }
    const contact: Contact = {
      did,
      name: resolved.card.name,
      keyAgreement: resolved.card.keyAgreement,
      fetchedAt: now,
    };
    this.#mailbox.putContact(contact);
    return contact;
  }

  async #didByName(name: string): Promise<string> {
    const found = await this.#hub().call<FoundAgents>('registry__find_agents', { name, limit: 100 });
    const exact = found.agents.filter((agent) => agent.name.toLowerCase() === name.toLowerCase());
    const dids = [...new Set(exact.map((agent) => agent.did))];
    if (dids.length === 0)
      throw new PlexusError('not_found', 'recipient_unknown', `no agent named '${name}' is registered`, {
        hint: 'find_agents lists who is there; or give the DID',
      });
    if (dids.length > 1)
      throw new PlexusError(
        'conflict',
        'recipient_ambiguous',
        `several agents are named '${name}': ${dids.join(', ')}`,
        {
          hint: 'give the DID instead',
        },
      );
    return dids[0] as string;
  }

  /** Seals, signs, sends and stores one chat message. Returns the envelope id. */
  async send(to: string, text: string, thread?: string): Promise<{ id: string; recipient: Contact }> {
    if (text.length === 0)
      throw new PlexusError('invalid', 'invalid_input', 'text: must not be empty', { field: 'text' });
    let recipient = await this.resolve(to);
    const attempt = async (contact: Contact) => {
      const envelope = createEnvelope(
        { did: this.#identity.did, secretKey: this.#identity.keys.signing.secretKey },
        {
          type: CHAT_TYPE,
          recipient: contact.did,
          content: { text, ...(this.#identity.card.name ? { from_name: this.#identity.card.name } : {}) },
          sealTo: contact.keyAgreement,
          ...(thread !== undefined ? { thread } : {}),
        },
      );
      await this.#hub().call('router__send_message', { envelope });
      return envelope;
    };
    let envelope: Envelope;
    try {
      envelope = await attempt(recipient);
    } catch (error) {
      // A refused send may mean a stale cached key (the peer rotated): resolve once more and retry.
      if (!(error instanceof PlexusError) || error.code === 'hub_unreachable') throw error;
      const fresh = await this.resolve(recipient.did, { fresh: true });
      if (fresh.keyAgreement === recipient.keyAgreement) throw error;
      recipient = fresh;
      envelope = await attempt(recipient);
    }
    this.#mailbox.put({
      id: envelope.id,
      direction: 'out',
      peer: recipient.did,
      peerName: recipient.name,
      thread: envelope.thread ?? null,
      type: CHAT_TYPE,
      text,
      content: { text },
      sentAt: envelope.timestamp,
    });
    return { id: envelope.id, recipient };
  }
}

export interface OpenedEnvelope {
  envelope: Envelope;
  content: JsonValue;
}

/** Verifies the signature, refuses replays and opens the content. Throws a PlexusError saying why not. */
export function openIncoming(raw: unknown, identity: LoadedIdentity, replay: ReplayGuard): OpenedEnvelope {
  const envelope = checkEnvelope(raw, 'message');
  if (envelope.recipient !== identity.did)
    throw new PlexusError(
      'invalid',
      'not_for_me',
      `message ${envelope.id} is addressed to ${envelope.recipient}`,
    );
  const verdict = replay.check(envelope);
  if (!verdict.ok)
    throw new PlexusError('invalid', verdict.code, `message ${envelope.id}: ${verdict.message}`);
  return { envelope, content: openEnvelope(envelope, identity.keys.keyAgreement) };
}

/** The text of a message's content: `text` when it has one, else the JSON. */
export function textOf(content: JsonValue): string {
  if (
    content &&
    typeof content === 'object' &&
    !Array.isArray(content) &&
    typeof content['text'] === 'string'
  )
    return content['text'];
  return JSON.stringify(content);
}
