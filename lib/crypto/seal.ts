import { invalid } from '../errors.ts';
import { x25519FromMultibase } from './multikey.ts';
import { fromBase64Url, toBase64Url, utf8 } from './bytes.ts';
import type { X25519KeyPair } from './identity-keys.ts';
import { nodeSuite } from './node-suite.ts';
import type { CryptoSuite } from './suite.ts';
import { SEAL_ALG, SealedPayload } from '../../schemas/sealed.ts';
import { DID_KEY_PATTERN, UUIDV7_PATTERN, type JsonValue } from '../../schemas/common.ts';

/** The envelope fields a sealed payload is bound to: opening it under any other header fails. */
export interface SealHeader {
  sender: string;
  recipient: string;
  id: string;
}

const VERSION = 'plexus-seal-v1';

function checkHeader(header: SealHeader): void {
  // The fields are joined with '|', which none of these patterns allows: the encoding is unambiguous.
  if (!DID_KEY_PATTERN.test(header.sender)) throw invalid('sender', 'must be an Ed25519 did:key to seal');
  if (!DID_KEY_PATTERN.test(header.recipient)) {
    throw invalid('recipient', 'must be an Ed25519 did:key to seal (topics cannot be sealed)');
  }
  if (!UUIDV7_PATTERN.test(header.id)) throw invalid('id', 'must be a UUIDv7');
}

/** HKDF info: binds the derived key to this sender, recipient and envelope id. */
export function sealInfo(header: SealHeader): Uint8Array {
  return utf8.encode(`${VERSION}|${header.sender}|${header.recipient}|${header.id}`);
}

/** GCM additional data: the same header plus the algorithm name. */
export function sealAad(header: SealHeader): Uint8Array {
  return utf8.encode(`${SEAL_ALG}|${header.sender}|${header.recipient}|${header.id}`);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function recipientKey(key: Uint8Array | string): Uint8Array {
  const raw = typeof key === 'string' ? x25519FromMultibase(key) : key;
  if (raw.length !== 32) throw new Error(`X25519 public key must be 32 bytes, got ${raw.length}`);
  return raw;
}

function openFailed() {
  // One error for every cause, so a failure says nothing about which check failed.
  return invalid('enc', 'cannot be opened: wrong key, changed header or tampered data', 'seal_open_failed');
}

export interface Sealer {
  /** Encrypts `plaintext` for the holder of `recipientPublicKey` (raw 32 bytes or multibase `z6LS…`). */
  seal: (plaintext: Uint8Array, recipientPublicKey: Uint8Array | string, header: SealHeader) => SealedPayload;
  /** Decrypts; throws `invalid('enc', …, 'seal_open_failed')` for a wrong key, header or any changed byte. */
  open: (sealed: SealedPayload, recipient: X25519KeyPair, header: SealHeader) => Uint8Array;
  /** seal() of a JSON value's UTF-8 text. */
  sealContent: (
    content: JsonValue,
    recipientPublicKey: Uint8Array | string,
    header: SealHeader,
  ) => SealedPayload;
  /** open() then JSON.parse. */
  openContent: (sealed: SealedPayload, recipient: X25519KeyPair, header: SealHeader) => JsonValue;
}

/**
 * The sealing construction on a given suite: ephemeral X25519 with the recipient's key-agreement key;
 * key = HKDF-SHA256(shared, salt = epk ‖ recipientPub, info = plexus-seal-v1|sender|recipient|id);
 * AES-256-GCM with a random 96-bit IV and AAD = alg|sender|recipient|id.
 */
export function makeSealer(suite: CryptoSuite): Sealer {
  function seal(plaintext: Uint8Array, recipientPublicKey: Uint8Array | string, header: SealHeader) {
    checkHeader(header);
    const recipientPub = recipientKey(recipientPublicKey);
    const ephemeral = suite.x25519Generate();
    const shared = suite.x25519(ephemeral.secretKey, recipientPub);
    const key = suite.hkdfSha256(shared, concat(ephemeral.publicKey, recipientPub), sealInfo(header), 32);
    const iv = suite.randomBytes(12);
    const { ct, tag } = suite.aesGcmEncrypt(key, iv, plaintext, sealAad(header));
    return {
      alg: SEAL_ALG,
      epk: toBase64Url(ephemeral.publicKey),
      iv: toBase64Url(iv),
      ct: toBase64Url(ct),
      tag: toBase64Url(tag),
    } satisfies SealedPayload;
  }

  function open(sealed: SealedPayload, recipient: X25519KeyPair, header: SealHeader): Uint8Array {
    checkHeader(header);
    const parsed = SealedPayload.safeParse(sealed);
    if (!parsed.success) throw openFailed();
    try {
      const epk = fromBase64Url(parsed.data.epk);
      const shared = suite.x25519(recipient.secretKey, epk);
      const key = suite.hkdfSha256(shared, concat(epk, recipient.publicKey), sealInfo(header), 32);
      return suite.aesGcmDecrypt(
        key,
        fromBase64Url(parsed.data.iv),
        fromBase64Url(parsed.data.ct),
        fromBase64Url(parsed.data.tag),
        sealAad(header),
      );
    } catch {
      throw openFailed();
    }
  }

  return {
    seal,
    open,
    sealContent: (content, recipientPublicKey, header) =>
      seal(utf8.encode(JSON.stringify(content)), recipientPublicKey, header),
    openContent(sealed, recipient, header) {
      const plaintext = open(sealed, recipient, header);
      try {
        return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext)) as JsonValue;
      } catch {
        throw invalid('enc', 'opened, but the content is not UTF-8 JSON', 'seal_content_invalid');
      }
    },
  };
}

export const { seal, open, sealContent, openContent } = makeSealer(nodeSuite);
