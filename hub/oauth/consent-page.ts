import type { Response } from 'express';
import type { Scope } from '../../lib/mcp/caller.ts';
import type { AuthorizationRequest } from './authorization-request.ts';
import type { ClientKind } from './clients.ts';
import { html, sendPage, type Html } from './html.ts';
import { isLoopbackRedirect } from './redirect-uris.ts';
import { SCOPE_DESCRIPTIONS, grantable } from './scopes.ts';
import type { UserRecord } from './store.ts';

function provenance(kind: ClientKind, clientId: string): Html {
  switch (kind) {
    case 'configured':
      return html`registered by this hub's operator`;
    case 'metadata-document':
      return html`described by its metadata document at <strong>${new URL(clientId).host}</strong>`;
    case 'registered':
      return html`registered itself with this hub: its name is <strong>not verified</strong>`;
    case 'agent':
      return html`an agent`;
  }
}

/** Where the redirect URI points, as a form-action CSP source (its origin). */
export function redirectOrigin(redirectUri: string): string {
  return new URL(redirectUri).origin;
}

export interface ConsentView {
  request: AuthorizationRequest;
  /** The signed-in user, or null: the page then asks for a user name and password. */
  user: UserRecord | null;
  csrf: string;
  error?: string;
  status?: number;
}

/**
 * The sign-in and consent page: who asks (the client's name and how the hub knows it), where the answer goes
 * (the redirect host, with a warning when that is this computer), what it may do (the scopes) and on which
 * resource; approve or deny. Every authorization parameter travels in the form and is checked again on post.
 */
export function sendConsentPage(res: Response, view: ConsentView): void {
  const { request, user, csrf } = view;
  const redirect = new URL(request.redirectUri);
  const scopes: Scope[] = user
    ? grantable(request.scopes, user.scopes, request.client.scopes)
    : request.scopes;
  const hidden = (name: string, value: string | null) =>
    value === null || value === '' ? null : html`<input type="hidden" name="${name}" value="${value}" />`;
  const body = html`
    <h1>${user ? 'Allow access?' : 'Sign in to allow access'}</h1>
    <p>
      <strong>${request.client.name}</strong> wants to use this Plexus hub as ${user ? user.name : 'you'}.
    </p>
    ${view.error ? html`<p class="error" role="alert">${view.error}</p>` : null}
    <dl>
      <dt>App</dt>
      <dd>
        ${request.client.name}
        <span class="note">(${provenance(request.client.kind, request.client.clientId)})</span>
      </dd>
      <dt>Client ID</dt>
      <dd>${request.client.clientId}</dd>
      <dt>Sends you back to</dt>
      <dd><strong>${redirect.host}</strong></dd>
      <dt>May</dt>
      <dd>
        <ul class="scopes">
          ${request.scopes.map((s) => html`<li><strong>${s}</strong>: ${SCOPE_DESCRIPTIONS[s]}</li>`)}
        </ul>
      </dd>
      <dt>On</dt>
      <dd>${request.resource}</dd>
    </dl>
    ${
      isLoopbackRedirect(redirect)
        ? html`<p class="warning">
            The approval goes to an app on this computer (${redirect.host}). Any program here could have
            started this: allow only if you just began signing in from an app you trust.
          </p>`
        : null
    }
    ${
      user && scopes.length < request.scopes.length
        ? html`<p class="note">
            ${user.name} holds ${user.scopes.join(', ')}; the app gets only what you hold.
          </p>`
        : null
    }
    <form method="post" action="/oauth/authorize">
      ${hidden('csrf', csrf)} ${hidden('response_type', 'code')}
      ${hidden('client_id', request.client.clientId)} ${hidden('redirect_uri', request.redirectUri)}
      ${hidden('state', request.state)} ${hidden('code_challenge', request.codeChallenge)}
      ${hidden('code_challenge_method', 'S256')} ${hidden('scope', request.scope)}
      ${hidden('resource', request.resourceParam)}
      ${
        user
          ? html`<p class="note">Signed in as <strong>${user.name}</strong> (${user.did}).</p>`
          : html`<label
                >User name
                <input type="text" name="username" autocomplete="username" autocapitalize="none" required
              /></label>
              <label
                >Password <input type="password" name="password" autocomplete="current-password" required
              /></label>`
      }
      <div class="actions">
        <button class="primary" type="submit" name="decision" value="approve">Allow</button>
        <button type="submit" name="decision" value="deny" formnovalidate>Deny</button>
      </div>
    </form>
    <p class="note"><a href="/oauth/clients">Apps you have allowed</a></p>
  `;
  sendPage(
    res,
    {
      title: 'Allow access',
      ...(view.status === undefined ? {} : { status: view.status }),
      formTargets: [redirectOrigin(request.redirectUri)],
    },
    body,
  );
}

/** A problem the person must see (no redirect is safe or possible). */
export function sendErrorPage(res: Response, status: number, title: string, message: string): void {
  sendPage(
    res,
    { title, status },
    html`<h1>${title}</h1>
      <p class="error" role="alert">${message}</p>`,
  );
}
