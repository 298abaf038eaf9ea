import type { Request, Response } from 'express';
import type { BrowserState } from './browser.ts';
import { sendErrorPage } from './consent-page.ts';
import type { Grants } from './grants.ts';
import { html, sendPage } from './html.ts';
import type { SignIn } from './sign-in.ts';
import type { GrantRecord, OAuthStore, UserRecord } from './store.ts';

export interface ClientsPageDeps {
  store: OAuthStore;
  browser: BrowserState;
  grants: Grants;
  signIn: SignIn;
  now: () => number;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/** One row per client: a person may have approved the same app several times (each sign-in is a grant). */
function byClient(grants: readonly GrantRecord[]): GrantRecord[][] {
  const groups = new Map<string, GrantRecord[]>();
  for (const grant of grants) {
    const group = groups.get(grant.clientId) ?? [];
    group.push(grant);
    groups.set(grant.clientId, group);
  }
  return [...groups.values()];
}

function signInForm(res: Response, csrf: string, status = 200, error?: string): void {
  sendPage(
    res,
    { title: 'Sign in', status },
    html`<h1>Sign in to see the apps you allowed</h1>
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      <form method="post" action="/oauth/signin">
        <input type="hidden" name="csrf" value="${csrf}" />
        <label
          >User name
          <input type="text" name="username" autocomplete="username" autocapitalize="none" required
        /></label>
        <label
          >Password <input type="password" name="password" autocomplete="current-password" required
        /></label>
        <div class="actions"><button class="primary" type="submit">Sign in</button></div>
      </form>`,
  );
}

function clientList(res: Response, user: UserRecord, grants: GrantRecord[], csrf: string): void {
  const rows = byClient(grants).map((group) => {
    const [latest] = group as [GrantRecord, ...GrantRecord[]];
    const scopes = [...new Set(group.flatMap((g) => g.scopes))];
    const lastUsed = Math.max(...group.map((g) => g.lastUsedAt));
    return html`<tr>
      <td><strong>${latest.clientName}</strong><br /><span class="note">${latest.clientId}</span></td>
      <td>${new URL(latest.redirectUri).host}</td>
      <td>${scopes.join(', ')}</td>
      <td>${day(latest.createdAt)}<br /><span class="note">used ${day(lastUsed)}</span></td>
      <td>
        <form method="post" action="/oauth/clients/revoke">
          <input type="hidden" name="csrf" value="${csrf}" />
          <input type="hidden" name="client_id" value="${latest.clientId}" />
          <button type="submit">Revoke</button>
        </form>
      </td>
    </tr>`;
  });
  sendPage(
    res,
    { title: 'Apps you allowed' },
    html`<h1>Apps you allowed</h1>
      <p>
        Signed in as <strong>${user.name}</strong>. Your identity:
        <strong>${user.did}</strong> (${user.scopes.join(', ')}).
      </p>
      ${
        rows.length === 0
          ? html`<p>You have not allowed any app yet.</p>`
          : html`<table>
                <thead>
                  <tr>
                    <th>App</th>
                    <th>Sends back to</th>
                    <th>May</th>
                    <th>Allowed</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  ${rows}
                </tbody>
              </table>
              <p class="note">
                Revoking ends the app's access at once: its tokens stop working and it must ask you again.
              </p>`
      }
      <form method="post" action="/oauth/signout">
        <input type="hidden" name="csrf" value="${csrf}" />
        <button type="submit">Sign out</button>
      </form>`,
  );
}

/** GET /oauth/clients: the apps the signed-in person allowed, each revocable; a sign-in form otherwise. */
export async function showClients(req: Request, res: Response, deps: ClientsPageDeps): Promise<void> {
  const csrf = deps.browser.csrfToken(req, res);
  const user = await deps.browser.user(req);
  if (!user) {
    signInForm(res, csrf);
    return;
  }
  clientList(res, user, await deps.store.listGrants(user.name, deps.now()), csrf);
}

function csrfRefused(res: Response): void {
  sendErrorPage(
    res,
    403,
    'This form has expired',
    'The form did not come from this page in this browser (CSRF check).',
  );
}

/** POST /oauth/signin (from the page above). */
export async function signInToClients(req: Request, res: Response, deps: ClientsPageDeps): Promise<void> {
  if (!deps.browser.csrfValid(req)) return csrfRefused(res);
  const body = req.body as Record<string, unknown>;
  const name = typeof body['username'] === 'string' ? body['username'].trim() : '';
  const password = typeof body['password'] === 'string' ? body['password'] : '';
  const outcome = await deps.signIn.attempt(name, password, req.socket.remoteAddress ?? 'unknown');
  if ('user' in outcome) {
    await deps.browser.signIn(res, outcome.user);
    res.redirect(303, '/oauth/clients');
    return;
  }
  const csrf = deps.browser.csrfToken(req, res);
  if (outcome.error === 'limited') {
    res.setHeader('Retry-After', String(outcome.retryAfterSeconds));
    signInForm(res, csrf, 429, `Too many sign-in attempts. Try again in ${outcome.retryAfterSeconds} s.`);
  } else {
    signInForm(res, csrf, 401, 'Wrong user name or password.');
  }
}

/** POST /oauth/clients/revoke: ends everything the person allowed one app. */
export async function revokeClient(req: Request, res: Response, deps: ClientsPageDeps): Promise<void> {
  if (!deps.browser.csrfValid(req)) return csrfRefused(res);
  const user = await deps.browser.user(req);
  const clientId = (req.body as Record<string, unknown>)['client_id'];
  if (user && typeof clientId === 'string') await deps.grants.revokeClient(user, clientId);
  res.redirect(303, '/oauth/clients');
}

/** POST /oauth/signout. */
export async function signOut(req: Request, res: Response, deps: ClientsPageDeps): Promise<void> {
  if (!deps.browser.csrfValid(req)) return csrfRefused(res);
  await deps.browser.signOut(req, res);
  res.redirect(303, '/oauth/clients');
}
