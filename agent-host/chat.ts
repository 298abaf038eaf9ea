import { createEnvelope, openEnvelope } from '../lib/crypto/envelope.ts';
import type { ReplayGuard } from '../lib/crypto/replay.ts';
import { PlexusError, invalid } from '../lib/errors.ts';
import { isRotated, type LoadedIdentity } from '../lib/identity/identity-file.ts';
import { Envelope } from '../schemas/envelope.ts';
import { TOPIC_PREFIX, parseOrThrow, type JsonValue } from '../schemas/common.ts';
import type { Logger } from '../lib/log.ts';
import type { ResolveDidOutput } from '../schemas/identity/tools.ts';
import { ToolError } from '../lib/clients/errors.ts';
import { isTransient, type HubSession } from './hub-session.ts';
import type { PeerClients } from './p2p/peer-client.ts';
import type { PeerKeys } from './peer-keys.ts';
import { didByName, recipientOf } from './recipient.ts';
import type { Contact, Mailbox } from './mailbox.ts';

/**
 * End-to-end chat: recipients are resolved (by DID through the identity server, by name through the registry)
 * and their key-agreement keys cached; messages are sealed to that key, signed and sent — straight to the
 * recipient's own endpoint when its card lists one and `peers` is given (P2P), through the router otherwise
 * or when the direct delivery fails. Incoming envelopes are verified (against the sender's key from its
 * identity log), replay-checked and opened here; the runtime stores and acks them.
 */
export const CHAT_TYPE = 'chat/message';
/** A cached key is used this long before it is resolved again (a rotation is picked up within it). */
const CONTACT_TTL_MS = 10 * 60_000;

export class Chat {
  readonly #identity: LoadedIdentity;
  readonly #mailbox: Mailbox;
  readonly #hub: () => HubSession;

  readonly #keys: PeerKeys;
  readonly #peers: PeerClients | null;
  readonly #log: Logger | null;

  constructor(
    identity: LoadedIdentity,
    mailbox: Mailbox,
    hub: () => HubSession,
    keys: PeerKeys,
    direct: { peers: PeerClients; log: Logger } | null = null,
  ) {
    this.#identity = identity;
    this.#keys = keys;
    this.#mailbox = mailbox;
    this.#hub = hub;
    this.#peers = direct?.peers ?? null;
    this.#log = direct?.log ?? null;
  }

  /** The recipient's DID, name and key-agreement key, from the cache or the hub. */
  async resolve(to: string, options: { fresh?: boolean } = {}): Promise<Contact> {
    const now = Date.now();
    const ref = recipientOf(to);
    const cached = 'did' in ref ? this.#mailbox.contact(ref.did) : this.#mailbox.contactByName(ref.name);
    if (cached && !options.fresh && now - cached.fetchedAt < CONTACT_TTL_MS) return cached;
    const did = 'did' in ref ? ref.did : await didByName(this.#hub().servers.registry, ref.name);
    let resolved: ResolveDidOutput;
    try {
      resolved = await this.#hub().servers.identity.resolveDid({ did });
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
      endpoint: resolved.card.endpoints?.mcp ?? null,
      fetchedAt: now,
    };
    this.#mailbox.putContact(contact);
    return contact;
  }

  /**
   * A signed chat envelope with `text` sealed to `contact`. `automated` marks what a brain wrote on its own
   * (inside the seal, so only the sender can set it): the peer's brain answers such a message only when it
   * asks something.
   */
  #envelope(contact: Contact, text: string, thread?: string, automated = false): Envelope {
    return createEnvelope(
      {
        did: this.#identity.did,
        secretKey: this.#identity.keys.signing.secretKey,
        rotated: isRotated(this.#identity),
      },
      {
        type: CHAT_TYPE,
        recipient: contact.did,
        content: {
          text,
          ...(this.#identity.card.name ? { from_name: this.#identity.card.name } : {}),
          ...(automated ? { automated: true } : {}),
        },
        sealTo: contact.keyAgreement,
        ...(thread !== undefined ? { thread } : {}),
      },
    );
  }

  #keepSent(envelope: Envelope, contact: Contact, text: string): void {
    this.#keep('out', envelope, contact, text, { text });
  }

  #keep(
    direction: 'in' | 'out',
    envelope: Envelope,
    contact: Contact,
    text: string,
    content: JsonValue,
  ): void {
    this.#mailbox.put({
      id: envelope.id,
      direction,
      peer: contact.did,
      peerName: contact.name,
      thread: envelope.thread ?? null,
      type: envelope.type,
      text,
      content,
      sentAt: envelope.timestamp,
    });
  }

  /**
   * A direct call to `contact`'s endpoint. When it fails without the peer's own answer, the contact is
   * resolved afresh (its card may list another endpoint or key by now) and, when that changed, the call is
   * made once more with the new contact; otherwise the first failure stands.
   */
  async #direct<T>(contact: Contact, call: (contact: Contact) => Promise<T>): Promise<T> {
    try {
      return await call(contact);
    } catch (error) {
      if (error instanceof ToolError) throw error;
      const fresh = await this.resolve(contact.did, { fresh: true }).catch(() => null);
      if (
        !fresh?.endpoint ||
        (fresh.endpoint === contact.endpoint && fresh.keyAgreement === contact.keyAgreement)
      )
        throw error;
      this.#log?.info({ to: contact.did, endpoint: fresh.endpoint }, 'peer card changed; calling it again');
      return call(fresh);
    }
  }

  /** Seals and stores a message without sending it: the caller hands it over (e.g. as an answer to `ask`). */
  async seal(to: string, text: string, thread?: string, automated = false): Promise<Envelope> {
    const contact = await this.resolve(to);
    const envelope = this.#envelope(contact, text, thread, automated);
    this.#keepSent(envelope, contact, text);
    return envelope;
  }

  /** Seals, signs, sends and stores one chat message. */
  async send(
    to: string,
    text: string,
    thread?: string,
    automated = false,
  ): Promise<{ id: string; recipient: Contact; via: 'direct' | 'hub' }> {
    if (text.length === 0)
      throw new PlexusError('invalid', 'invalid_input', 'text: must not be empty', { field: 'text' });
    let recipient = await this.resolve(to);
    let envelope = this.#envelope(recipient, text, thread, automated);
    let via: 'direct' | 'hub' = 'hub';
    if (recipient.endpoint && this.#peers) {
      const peers = this.#peers;
      const delivered = await this.#direct(recipient, async (peer) => {
        if (peer !== recipient) {
          recipient = peer;
          envelope = this.#envelope(recipient, text, thread, automated);
        }
        await peers.deliver(peer.endpoint as string, envelope);
      }).then(
        () => true,
        (error: unknown) => {
          // The same envelope goes through the hub: if the peer did store it, its id makes this a duplicate.
          this.#log?.info(
            { to: recipient.did, err: error },
            'direct delivery failed; sending through the hub',
          );
          return false;
        },
      );
      if (delivered) via = 'direct';
    }
    if (via === 'hub') {
      try {
        await this.#hub().servers.router.sendMessage({ envelope });
      } catch (error) {
        // A refused send may mean a stale cached key (the peer rotated): resolve once more and retry.
        if (isTransient(error)) throw error;
        const fresh = await this.resolve(recipient.did, { fresh: true });
        if (fresh.keyAgreement === recipient.keyAgreement) throw error;
        recipient = fresh;
        envelope = this.#envelope(recipient, text, thread, automated);
        await this.#hub().servers.router.sendMessage({ envelope });
      }
    }
    this.#keepSent(envelope, recipient, text);
    return { id: envelope.id, recipient, via };
  }

  /**
   * Asks a peer directly (its own endpoint) and waits for the answer, which must come sealed to us and
   * signed by that peer. Both are stored like chat. Needs the peer to list an endpoint in its card.
   */
  async ask(to: string, text: string, replay: ReplayGuard): Promise<{ answer: string; from: Contact }> {
    if (!this.#peers)
      throw new PlexusError('unavailable', 'p2p_disabled', 'direct calls to peers are turned off');
    if (text.length === 0)
      throw new PlexusError('invalid', 'invalid_input', 'text: must not be empty', { field: 'text' });
    let peer = await this.resolve(to);
    // A cached "no endpoint" may predate the peer turning its endpoint on: ask the hub before giving up.
    if (!peer.endpoint) peer = await this.resolve(peer.did, { fresh: true });
    if (!peer.endpoint)
      throw new PlexusError(
        'unavailable',
        'peer_has_no_endpoint',
        `${peer.name ?? peer.did} offers no endpoint of its own`,
        {
          hint:
            'its owner turns it on with "p2p": {"listen": true} in its agent.json and restarts the agent ' +
            '(plexus agent start); meanwhile, plexus agent send reaches it through the hub',
        },
      );
    const peers = this.#peers;
    let question = this.#envelope(peer, text);
    const raw = await this.#direct(peer, (current) => {
      if (current !== peer) {
        peer = current;
        question = this.#envelope(peer, text);
      }
      return peers.ask(current.endpoint as string, question);
    });
    this.#keepSent(question, peer, text);
    const { envelope, content } = await openIncoming(raw, this.#identity, replay, this.#keys);
    if (envelope.sender !== peer.did)
      throw new PlexusError(
        'forbidden',
        'sender_mismatch',
        `the answer is signed by ${envelope.sender}, not ${peer.did}`,
      );
    const answer = textOf(content);
    this.#keep('in', envelope, peer, answer, content);
    return { answer, from: peer };
  }
}

export interface OpenedEnvelope {
  envelope: Envelope;
  content: JsonValue;
}

/**
 * Verifies the signature (by the sender's key when it signed, from `keys`), refuses replays and opens the
 * content. Throws a PlexusError saying why not. With `topic`, a delivery published to a topic passes too
 * (the caller checked that it follows the topic).
 */
export async function openIncoming(
  raw: unknown,
  identity: LoadedIdentity,
  replay: ReplayGuard,
  keys: PeerKeys,
  topic = false,
): Promise<OpenedEnvelope> {
  const envelope = parseOrThrow(Envelope, raw, 'message');
  if (!(await keys.verify(envelope)))
    throw invalid('message.signature', 'is not a valid signature by the sender', 'signature_invalid');
  const published = topic && topicOf(envelope.recipient) !== null;
  if (envelope.recipient !== identity.did && !published)
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

/** The topic a delivery was published to (its recipient is `topic:<name>`), or null for direct mail. */
export function topicOf(recipient: unknown): string | null {
  return typeof recipient === 'string' && recipient.startsWith(TOPIC_PREFIX)
    ? recipient.slice(TOPIC_PREFIX.length)
    : null;
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
