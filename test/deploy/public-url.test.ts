import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyEnv, parseHubConfig } from '../../hub/config.ts';
import { identitySettingsWithEnv } from '../../servers/serve-cli.ts';
import { assertionAudiences, canonicalPublicUrl, publicUrlProblem } from '../../lib/auth/public-url.ts';

test('a public URL is an http(s) origin: path, query, fragment and credentials are refused, saying which', () => {
  assert.equal(publicUrlProblem('https://plexus.example.com'), null);
  assert.equal(publicUrlProblem('https://plexus.lan:8443/'), null);
  assert.equal(publicUrlProblem('http://127.0.0.2:7420'), null);
  assert.match(publicUrlProblem('plexus.lan') ?? '', /not a URL/);
  assert.match(publicUrlProblem('ftp://plexus.lan') ?? '', /http:\/\/ or https:\/\//);
  assert.match(publicUrlProblem('https://plexus.lan/hub') ?? '', /no path \(got path \/hub\)/);
  assert.match(publicUrlProblem('https://plexus.lan/?x=1') ?? '', /query or fragment/);
  assert.match(publicUrlProblem('https://me:pw@plexus.lan') ?? '', /credentials/);
});

test('everything derived from the public URL uses its canonical origin', () => {
  assert.equal(canonicalPublicUrl('HTTPS://Plexus.LAN:443/'), 'https://plexus.lan');
  assert.deepEqual(assertionAudiences('https://plexus.lan/'), [
    'https://plexus.lan',
    'https://plexus.lan/oauth/token',
  ]);
});

test('PLEXUS_PUBLIC_URL reaches the hub config, and a bad one is named by its field', () => {
  const config = parseHubConfig(applyEnv({}, { PLEXUS_PUBLIC_URL: 'https://plexus.lan' }));
  assert.equal(config.publicUrl, 'https://plexus.lan');
  assert.throws(
    () => parseHubConfig(applyEnv({}, { PLEXUS_PUBLIC_URL: 'https://plexus.lan/mcp' })),
    /publicUrl: 'https:\/\/plexus\.lan\/mcp' must be an origin with no path/,
  );
});

test('plexus serve identity accepts assertions addressed to PLEXUS_PUBLIC_URL, beside PLEXUS_TOKEN_ENDPOINTS', () => {
  const settings = identitySettingsWithEnv(
    { tokenEndpoints: ['https://configured.example/oauth/token'] },
    { PLEXUS_PUBLIC_URL: 'https://plexus.lan', PLEXUS_TOKEN_ENDPOINTS: 'http://10.0.0.5:7420/oauth/token' },
  ) as { tokenEndpoints: string[] };
  assert.deepEqual(settings.tokenEndpoints, [
    'https://configured.example/oauth/token',
    'https://plexus.lan',
    'https://plexus.lan/oauth/token',
    'http://10.0.0.5:7420/oauth/token',
  ]);
  assert.throws(
    () => identitySettingsWithEnv(undefined, { PLEXUS_PUBLIC_URL: 'plexus.lan' }),
    /^Error: PLEXUS_PUBLIC_URL: 'plexus\.lan' is not a URL$/,
  );
});
