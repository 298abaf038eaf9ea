import { ed25519 as nobleEd } from '@noble/curves/ed25519.js';
import { ed25519Sign, ed25519Verify, generateEd25519 } from '../../lib/crypto/ed25519.ts';
import { rate, ratios, repeat, summarize, type Metric, type Suite } from '../harness.ts';

const MESSAGE = new Uint8Array(1024).fill(7);

/** Signatures per second, node:crypto against @noble (the portable reference) in the same run. */
export const suite: Suite = {
  name: 'crypto',
  description: 'Ed25519 sign/verify per second, node:crypto vs @noble',
  async run({ quick, progress }) {
    const count = quick ? 200 : 2000;
    const runs = quick ? 3 : 7;
    const keys = generateEd25519();
    const signature = ed25519Sign(MESSAGE, keys.secretKey);
    const nobleSecret = keys.secretKey;
    const noblePublic = keys.publicKey;
    const nobleSignature = nobleEd.sign(MESSAGE, nobleSecret);

    progress('sign');
    const nodeSign = await repeat(runs, 1, () => rate(count, () => ed25519Sign(MESSAGE, keys.secretKey)));
    const nobleSign = await repeat(runs, 1, () => rate(count / 10, () => nobleEd.sign(MESSAGE, nobleSecret)));
    progress('verify');
    const nodeVerify = await repeat(runs, 1, () =>
      rate(count, () => ed25519Verify(MESSAGE, signature, keys.publicKey)),
    );
    const nobleVerify = await repeat(runs, 1, () =>
      rate(count / 10, () => nobleEd.verify(nobleSignature, MESSAGE, noblePublic)),
    );

    const metrics: Record<string, Metric> = {
      'sign node:crypto': summarize(nodeSign, 'ops/s'),
      'sign @noble': summarize(nobleSign, 'ops/s'),
      'verify node:crypto': summarize(nodeVerify, 'ops/s'),
      'verify @noble': summarize(nobleVerify, 'ops/s'),
    };
    metrics['sign ratio node/noble'] = summarize(ratios(nodeSign, nobleSign), 'x');
    metrics['verify ratio node/noble'] = summarize(ratios(nodeVerify, nobleVerify), 'x');
    return {
      metrics,
      goals: [],
      notes: [`1 KiB message; ${count} node ops and ${count / 10} noble ops per run`],
    };
  },
};
