import { makeEnvelopeApi } from '../../lib/crypto/envelope.ts';
import { generateIdentityKeys } from '../../lib/crypto/identity-keys.ts';
import { nobleSuite } from '../../lib/crypto/noble/index.ts';
import { nodeSuite } from '../../lib/crypto/node-suite.ts';
import type { CryptoSuite } from '../../lib/crypto/suite.ts';
import { rate, ratios, repeat, summarize, type Metric, type Suite } from '../harness.ts';

const MESSAGE = new Uint8Array(1024).fill(7);
const CONTENT = { text: 'x'.repeat(1000) };

interface Ops {
  sign: () => unknown;
  verify: () => unknown;
  /** A sealed, signed 1 KiB envelope made. */
  seal: () => unknown;
  /** The same envelope verified and opened. */
  open: () => unknown;
}

function ops(suite: CryptoSuite): Ops {
  const api = makeEnvelopeApi(suite);
  const sender = generateIdentityKeys();
  const recipient = generateIdentityKeys();
  const signature = suite.ed25519Sign(MESSAGE, sender.signing.secretKey);
  const draft = {
    type: 'chat/message',
    recipient: recipient.did,
    content: CONTENT,
    sealTo: recipient.keyAgreement.publicKey,
  };
  const envelope = api.createEnvelope({ did: sender.did, secretKey: sender.signing.secretKey }, draft);
  return {
    sign: () => suite.ed25519Sign(MESSAGE, sender.signing.secretKey),
    verify: () => suite.ed25519Verify(MESSAGE, signature, sender.signing.publicKey),
    seal: () => api.createEnvelope({ did: sender.did, secretKey: sender.signing.secretKey }, draft),
    open: () => api.verifyEnvelope(envelope) && api.openEnvelope(envelope, recipient.keyAgreement),
  };
}

/** Per-second rates of each primitive on node:crypto and on @noble (the portable reference), in one run. */
export const suite: Suite = {
  name: 'crypto',
  description: 'sign, verify, seal (sealed+signed 1 KiB envelope), open per second: node:crypto vs @noble',
  async run({ quick, progress }) {
    const count = quick ? 100 : 1000;
    const runs = quick ? 3 : 7;
    const node = ops(nodeSuite);
    const noble = ops(nobleSuite);
    const metrics: Record<string, Metric> = {};
    for (const op of ['sign', 'verify', 'seal', 'open'] as const) {
      progress(op);
      // @noble is ~10-20x slower: a tenth of the operations keeps each run's duration comparable.
      const fast = await repeat(runs, 1, () => rate(count, node[op]));
      const slow = await repeat(runs, 1, () => rate(Math.max(10, count / 10), noble[op]));
      metrics[`${op} node:crypto`] = summarize(fast, 'ops/s');
      metrics[`${op} @noble`] = summarize(slow, 'ops/s');
      metrics[`${op} node/noble`] = summarize(ratios(fast, slow), 'x');
    }
    return {
      metrics,
      goals: [],
      notes: [
        `Ed25519 over 1 KiB; seal = createEnvelope with X25519+HKDF+AES-256-GCM sealing and signing; open = verify + open`,
      ],
    };
  },
};
