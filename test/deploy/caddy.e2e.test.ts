import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Agent, fetch as undiciFetch } from 'undici';
import { launch, launchProcess, runCli, stop, type Proc } from '../helpers/plexus-process.ts';
import { freePort } from '../helpers/ports.ts';
import { requireTool } from '../helpers/tools.ts';

/**
 * The deployment's TLS front for real: Debian's caddy runs deploy/caddy/Caddyfile (Caddy's internal CA) on
 * 127.0.0.2 in front of a hub listening on 127.0.0.1, the hub knowing only PLEXUS_PUBLIC_URL. An agent made
 * with `plexus agent init --hub https://127.0.0.2:…` joins through it, trusting the CA's root as a remote
 * machine would be told to (NODE_EXTRA_CA_CERTS).
 */

const CADDYFILE = path.resolve(import.meta.dirname, '../../deploy/caddy/Caddyfile');

test(
  'an agent on another address joins a hub through Caddy with only the public URL configured',
  {
    timeout: 300_000,
  },
  async (t) => {
    const caddy = requireTool(t, 'caddy', 'caddy');
    if (!caddy) return;
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plexus-caddy-'));
    const procs: Proc[] = [];
    t.after(async () => {
      // Caddy last: its graceful stop waits for the connections it holds to the hub, which the hub's own stop
      // closes (stopped before the hub, Caddy took a minute to exit).
      const last = procs.find((proc) => proc.child.spawnfile === caddy);
      for (const proc of procs.reverse()) if (proc !== last) await stop(proc);
      if (last) await stop(last);
      fs.rmSync(root, { recursive: true, force: true });
    });

    const [hubPort, httpsPort, httpPort] = [await freePort(), await freePort(), await freePort()];
    const publicUrl = `https://127.0.0.2:${httpsPort}`;

    const hub = launch(
      ['hub', '--port', String(hubPort), '--data', path.join(root, 'hub')],
      // No model server: the agent needs none to join.
      { PLEXUS_PUBLIC_URL: publicUrl, OLLAMA_HOST: `http://127.0.0.1:${await freePort()}` },
      root,
    );
    procs.push(hub);
    await hub.waitFor(/listening on https:\/\/127\.0\.0\.2:/);

    const caddyHome = path.join(root, 'caddy');
    const front = launchProcess(
      caddy,
      ['run', '--config', CADDYFILE, '--adapter', 'caddyfile'],
      {
        HOME: caddyHome,
        XDG_DATA_HOME: path.join(caddyHome, 'data'),
        XDG_CONFIG_HOME: path.join(caddyHome, 'config'),
        CADDY_ADMIN: 'off',
        CADDY_HTTP_PORT: String(httpPort),
        PLEXUS_PUBLIC_URL: publicUrl,
        PLEXUS_TLS: 'internal',
        PLEXUS_HUB_UPSTREAM: `127.0.0.1:${hubPort}`,
      },
      root,
    );
    procs.push(front);
    await front.waitForStderr(/certificate obtained successfully.*127\.0\.0\.2/);
    const rootCert = path.join(caddyHome, 'data', 'caddy', 'pki', 'authorities', 'local', 'root.crt');
    const tls = new Agent({ connect: { ca: fs.readFileSync(rootCert, 'utf8') } });
    t.after(() => tls.close());
    const get = async (url: string) => {
      const response = await undiciFetch(url, { dispatcher: tls });
      assert.equal(response.status, 200, `${url}: HTTP ${response.status}`);
      return (await response.json()) as Record<string, unknown>;
    };

    // Everything the hub hands out names the public URL, as seen through the proxy.
    const resource = await get(`${publicUrl}/.well-known/oauth-protected-resource/mcp`);
    assert.equal(resource['resource'], `${publicUrl}/mcp`);
    assert.deepEqual(resource['authorization_servers'], [publicUrl]);
    const server = await get(`${publicUrl}/.well-known/oauth-authorization-server`);
    assert.equal(server['issuer'], publicUrl);
    assert.equal(server['token_endpoint'], `${publicUrl}/oauth/token`);

    // The agent is told the hub's https URL once, at init.
    const made = await runCli(
      ['agent', 'init', '--dir', 'remote', '--name', 'remote', '--hub', publicUrl, '--passphrase-stdin'],
      {},
      root,
      'remote-pass\n',
    );
    assert.equal(made.code, 0, made.stderr);
    const configFile = path.join(root, 'remote', 'agent.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    assert.equal(config['hubUrl'], publicUrl);
    fs.writeFileSync(configFile, JSON.stringify({ ...config, defaultTools: false }));

    const agent = launch(
      ['agent', 'start', '--dir', 'remote'],
      { PLEXUS_PASSPHRASE: 'remote-pass', NODE_EXTRA_CA_CERTS: rootCert },
      root,
    );
    procs.push(agent);
    // Its DID's assertion is addressed to the public URL and accepted; it speaks MCP through Caddy.
    const connected = await agent.waitFor(/^connected to \S+ \(MCP 2026-07-28\) as remote /);
    assert.ok(connected.startsWith(`connected to ${publicUrl}`), connected);
    await agent.waitFor(/^agent ready/);
  },
);
