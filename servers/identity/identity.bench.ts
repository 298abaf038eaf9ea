// Identity authority throughput in one process over a real SDK client: token issuance (client assertion in,
// EdDSA access token out), DID resolution, and get_trust over a busy subject. CPU seconds are measured
// beside wall time because the machine is shared. Run alone with
// `node --no-node-snapshot servers/identity/identity.bench.ts [--quick]` or as a bench suite (`suite`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { summarize, type Suite } from '../../bench/harness.ts';
import { createClientAssertion } from '../../lib/auth/client-assertion.ts';
import { generateIdentityKeys } from '../../lib/crypto/identity-keys.ts';
import { signObject } from '../../lib/crypto/signed-object.ts';
import { buildAgentCard } from '../../lib/identity/identity-file.ts';
import { silentLogger } from '../../lib/log.ts';
import { composeInProcess } from '../../lib/mcp/local-composition.ts';
import { component } from './component.ts';

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<void> {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
}

/** Calls per wall second and per CPU second of `count` sequential calls. */
async function measure(
  count: number,
  op: (i: number) => Promise<void>,
): Promise<{ wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await op(i);
  const wall = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  return { wall: count / wall, cpu: count / ((used.user + used.system) / 1e6) };
}

export const suite: Suite = {
  name: 'identity',
  description: 'issue_access_token, resolve_did and get_trust (100 attesters × 10) per second over MCP',
  async run({ quick, progress }) {
    const dataDir = mkdtempSync(join(tmpdir(), 'plexus-bench-'));
    const composition = await composeInProcess({ identity: component }, { dataDir, log: silentLogger });
    try {
      const client = await composition.connect('identity');
      const agent = generateIdentityKeys();
      const card = buildAgentCard(
        {
          did: agent.did,
          name: 'Bench',
          role: 'worker',
          capabilities: [],
          endpoints: {},
          keyAgreement: agent.keyAgreementMultibase,
          version: 1,
          issuedAt: Date.now(),
        },
        agent.signing.secretKey,
      );
      await call(client, 'register_identity', { card });
      const count = quick ? 100 : 1000;
      progress('preparing assertions and attestations');
      const assertions = await Promise.all(
        Array.from({ length: count }, () =>
          createClientAssertion({
            did: agent.did,
            secretKey: agent.signing.secretKey,
            audience: 'urn:plexus:identity',
          }),
        ),
      );
      const subject = generateIdentityKeys().did;
      const attesters = Array.from({ length: 100 }, () => generateIdentityKeys());
      for (const [n, a] of attesters.entries()) {
        const vouch = {
          type: 'plexus/attestation',
          attester: agent.did,
          subject: a.did,
          positive: true,
          weight: 1,
        };
        await call(client, 'attest', {
          attestation: signObject(
            { ...vouch, context: 'task', reference: `v${n}`, issuedAt: Date.now() },
            agent.signing.secretKey,
          ),
        });
        for (let i = 0; i < 10; i++) {
          const body = {
            type: 'plexus/attestation',
            attester: a.did,
            subject,
            positive: i % 3 !== 0,
            weight: 1,
          };
          await call(client, 'attest', {
            attestation: signObject(
              { ...body, context: 'task', reference: `t${i}`, issuedAt: Date.now() },
              a.signing.secretKey,
            ),
          });
        }
      }
      progress('issue_access_token');
      const tokens = await measure(count, (i) =>
        call(client, 'issue_access_token', { assertion: assertions[i] }),
      );
      progress('resolve_did');
      const resolves = await measure(count, () => call(client, 'resolve_did', { did: agent.did }));
      progress('get_trust');
      const trusts = await measure(quick ? 20 : 200, () =>
        call(client, 'get_trust', { did: subject, perspective: agent.did }),
      );
      return {
        metrics: {
          issue_access_token: summarize([tokens.wall], 'calls/s'),
          issue_access_token_cpu: summarize([tokens.cpu], 'calls/CPU-s'),
          resolve_did: summarize([resolves.wall], 'calls/s'),
          resolve_did_cpu: summarize([resolves.cpu], 'calls/CPU-s'),
          get_trust_1000_attestations: summarize([trusts.wall], 'calls/s'),
          get_trust_1000_attestations_cpu: summarize([trusts.cpu], 'calls/CPU-s'),
        },
        goals: [],
        notes: [
          'identity, SQLite and the SDK client share one process; sequential calls over InMemoryTransport',
        ],
      };
    } finally {
      await composition.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

if (import.meta.main) {
  const result = await suite.run({
    quick: process.argv.includes('--quick'),
    progress: (l) => console.error(l),
  });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
