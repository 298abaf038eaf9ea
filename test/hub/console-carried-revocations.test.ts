import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cardFor, newAgent } from '../../servers/identity/test-support.ts';
import { connectClient, startTestHub, tempDir } from './helpers.ts';

const SERVERS = { servers: { identity: {}, registry: {}, router: {} } };

test(
  'a DID that an older console.json refused at one hub is revoked in the identity server at start, in its operator’s name',
  { timeout: 180_000 },
  async (t) => {
    const dataDir = tempDir(t);
    const first = await startTestHub(t, { ...SERVERS, dataDir });
    assert.ok(first.operatorToken);
    const agent = newAgent();
    const linus = agent.did;
    const registering = await connectClient(t, first.mcpUrl, { token: first.operatorToken });
    const registered = await registering.callTool({
      name: 'identity__register_identity',
      arguments: { card: cardFor(agent, { issuedAt: Date.now() }) },
    });
    assert.ok(!registered.isError, JSON.stringify(registered.content));
    await registering.close();
    await first.close();

    // What the console wrote when it refused DIDs at its own hub only, beside an operator token.
    const file = path.join(dataDir, 'console.json');
    const operatorEntry = { by: 'ada', at: 1 };
    fs.writeFileSync(
      file,
      JSON.stringify({
        revoked: { [linus]: { by: 'ada', at: 1, reason: 'laptop stolen' }, 'operator:ci': operatorEntry },
      }),
    );

    const hub = await startTestHub(t, { ...SERVERS, dataDir });
    assert.ok(hub.operatorToken);
    const operator = await connectClient(t, hub.mcpUrl, { token: hub.operatorToken });
    const result = await operator.callTool({ name: 'identity__resolve_did', arguments: { did: linus } });
    assert.ok(!result.isError, JSON.stringify(result.content));
    const { revoked, revoked_by, revocation_reason } = result.structuredContent as Record<string, unknown>;
    assert.deepEqual([revoked, revoked_by, revocation_reason], [true, 'ada', 'laptop stolen']);

    // Stored again without the DID; the operator token stays refused at this hub.
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { revoked: Record<string, unknown> };
    assert.deepEqual(stored.revoked, { 'operator:ci': operatorEntry });
  },
);
