import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runClientConformance } from '../test/helpers/conformance.ts';

const CLIENT = path.resolve(import.meta.dirname, '../test/fixtures/hub-client.ts');

/**
 * The client scenarios 2026-07-28 requires that apply to the agent's hub client. The third,
 * `auth/metadata-default`, is OAuth discovery by a client that signs a person in; an agent gets its token by
 * client credentials signed with its DID key at the hub it was given.
 */
const SCENARIOS = ['tools_call', 'request-metadata'];

test(
  "the agent's hub client passes the conformance client scenarios at 2026-07-28",
  { timeout: 240_000 },
  async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-client-conformance-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const command = `"${process.execPath}" --no-node-snapshot "${CLIENT}"`;
    for (const scenario of SCENARIOS) {
      await t.test(scenario, async () => {
        const run = await runClientConformance(command, scenario, '2026-07-28', path.join(dir, scenario));
        const statuses = [...run.checks];
        assert.deepEqual(
          statuses.filter(([, status]) => status === 'FAILURE' || status === 'WARNING'),
          [],
          run.output,
        );
        assert.ok(
          statuses.some(([, status]) => status === 'SUCCESS'),
          run.output,
        );
        assert.equal(run.code, 0, run.output);
      });
    }
  },
);
