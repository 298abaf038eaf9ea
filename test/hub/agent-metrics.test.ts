import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agentToken } from '../../bench/hub-fixture.ts';
import { generateIdentityKeys } from '../../lib/crypto/identity-keys.ts';
import { toolErrorOf } from '../../lib/mcp/result.ts';
import { signedCard } from '../../servers/registry/testing.ts';
import { connectHttp, plainModernClient } from '../helpers/tasks-client.ts';
import { startTestHub } from './helpers.ts';

test('/metrics counts the registered agents by status when scraped', async (t) => {
  const hub = await startTestHub(t, {}, { catalogDefaults: true });
  const scrape = async (status: string) => {
    const response = await fetch(`${hub.url}/metrics`, {
      headers: { authorization: `Bearer ${hub.operatorToken as string}` },
    });
    assert.equal(response.status, 200);
    const line = new RegExp(`^plexus_agents\\{status="${status}"\\} (\\d+)$`, 'm').exec(await response.text());
    return line ? Number(line[1]) : null;
  };
  assert.deepEqual([await scrape('online'), await scrape('stale'), await scrape('offline')], [0, 0, 0]);

  const keys = generateIdentityKeys();
  const client = await connectHttp(plainModernClient(), hub.mcpUrl, await agentToken(hub.url, keys));
  t.after(() => client.close());
  const registered = await client.callTool({
    name: 'registry__register_agent',
    arguments: { card: signedCard(keys, {}, Date.now()) },
  });
  assert.equal(toolErrorOf(registered), null, JSON.stringify(registered.content));
  assert.equal(await scrape('online'), 1);
});
