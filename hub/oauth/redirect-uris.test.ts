import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRedirectUri, redirectUriAllowed } from './redirect-uris.ts';

test('redirect URIs: https anywhere, http only on loopback; no fragment, no credentials', () => {
  for (const ok of [
    'https://app.example/cb',
    'https://app.example:8443/oauth/callback?x=1',
    'http://127.0.0.1/cb',
    'http://127.0.0.1:3000/cb',
    'http://[::1]:3000/cb',
    'http://localhost:6274/oauth/callback',
  ])
    assert.equal(checkRedirectUri(ok), null, ok);
  for (const [bad, why] of [
    ['http://app.example/cb', /https/],
    ['http://127.0.0.2.nip.io/cb', /https/],
    ['javascript:alert(1)', /https/],
    ['cursor://callback', /https/],
    ['https://app.example/cb#frag', /fragment/],
    ['https://user:pw@app.example/cb', /credentials/],
    ['/relative', /absolute/],
  ] as const)
    assert.match(checkRedirectUri(bad) ?? '', why, bad);
});

test('a request must name a registered redirect URI exactly; loopback ones may change port', () => {
  const registered = ['https://app.example/cb', 'http://127.0.0.1:3000/cb', 'http://localhost/cb'];
  assert.equal(redirectUriAllowed(registered, 'https://app.example/cb'), true);
  assert.equal(redirectUriAllowed(registered, 'http://127.0.0.1:49152/cb'), true);
  assert.equal(redirectUriAllowed(registered, 'http://127.0.0.1/cb'), true);
  assert.equal(redirectUriAllowed(registered, 'http://localhost:8080/cb'), true);
  for (const refused of [
    'https://app.example/cb/',
    'https://app.example/cb?extra=1',
    'https://app.example:444/cb',
    'https://APP.example/cb',
    'http://127.0.0.1:49152/other',
    'http://[::1]:3000/cb',
    'https://127.0.0.1:3000/cb',
    'not a url',
  ])
    assert.equal(redirectUriAllowed(registered, refused), false, refused);
});
