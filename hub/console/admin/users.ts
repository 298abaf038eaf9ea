import type { Request, Response } from 'express';
import { checkPassword } from '../../oauth/passwords.ts';
import { html } from '../../oauth/html.ts';
import type { ConsoleDeps } from '../deps.ts';
import { sendConsolePage, type Viewer } from '../layout.ts';
import { back, field, fields, FormError } from './form.ts';

const PAGE = '/console/users';

const ROLES: Record<string, string[]> = {
  user: ['read', 'write'],
  reader: ['read'],
  operator: ['read', 'write', 'admin'],
};

/** POST /console/admin/users/add. */
export async function addUser(req: Request, res: Response, viewer: Viewer, deps: ConsoleDeps): Promise<void> {
  const name = field(req, 'name');
  const password = field(req, 'password', false);
  const scopes = ROLES[field(req, 'role')];
  if (!scopes) throw new FormError('Role: must be user, reader or operator');
  checkPassword(password, 'Password');
  const user = await deps.oauth.users.add(name, password, scopes);
  await deps.oauth.users.ensureRegistered(user, deps.identity);
  await deps.audit.record(viewer, 'user_added', user.name, { scopes });
  back(res, PAGE, { done: `${user.name} can sign in now.` });
}

/** POST /console/admin/users/remove: their apps' access ends and their sessions too. */
export async function removeUser(
  req: Request,
  res: Response,
  viewer: Viewer,
  deps: ConsoleDeps,
): Promise<void> {
  const name = field(req, 'name');
  if (name === viewer.user.name) throw new FormError('You cannot remove yourself');
  const user = await deps.oauth.users.remove(name);
  deps.oauth.standing.forget();
  await deps.audit.record(viewer, 'user_removed', user.name);
  back(res, PAGE, { done: `${user.name} is removed.` });
}

/** POST /console/admin/users/password: a new password ends the user's browser sessions. */
export async function setPassword(
  req: Request,
  res: Response,
  viewer: Viewer,
  deps: ConsoleDeps,
): Promise<void> {
  const name = field(req, 'name');
  const password = field(req, 'password', false);
  checkPassword(password, 'New password');
  await deps.oauth.users.setPassword(name, password);
  await deps.audit.record(viewer, 'user_password_set', name);
  back(res, PAGE, { done: `${name} has a new password.` });
}

/** POST /console/admin/users/revoke-app: ends everything a user allowed one app. */
export async function revokeApp(
  req: Request,
  res: Response,
  viewer: Viewer,
  deps: ConsoleDeps,
): Promise<void> {
  const name = field(req, 'user');
  const clientId = field(req, 'client_id');
  const user = await deps.oauth.users.get(name);
  if (!user) throw new FormError(`No user named '${name}'`);
  const revoked = await deps.oauth.grants.revokeClient(user, clientId);
  await deps.audit.record(viewer, 'app_revoked', clientId, { user: name, grants: revoked });
  back(res, PAGE, { done: `${clientId} no longer acts for ${name}.` });
}

/** POST /console/admin/tokens/create: a new operator token, shown once on the page answering the form. */
export async function createOperatorToken(
  req: Request,
  res: Response,
  viewer: Viewer,
  deps: ConsoleDeps,
): Promise<void> {
  const name = field(req, 'name');
  const scopes = fields(req, 'scopes').filter((s): s is 'read' | 'write' | 'admin' =>
    ['read', 'write', 'admin'].includes(s),
  );
  const days = Number(field(req, 'days'));
  if (!/^[a-zA-Z0-9._@-]{1,64}$/.test(name))
    throw new FormError('Name: must be 1-64 letters, digits and . _ @ -');
  if (scopes.length === 0) throw new FormError('Scopes: choose at least one');
  if (!Number.isInteger(days) || days < 1 || days > 90) throw new FormError('Lifetime: must be 1 to 90 days');
  if (deps.settings.data.revoked[`operator:${name}`]) {
    throw new FormError(`Name: operator:${name} was revoked; choose another name`);
  }
  const issued = await deps.identity.createOperatorToken(name, scopes, days * 86_400);
  await deps.audit.record(viewer, 'operator_token_created', issued.subject, { scopes, days });
  sendConsolePage(
    res,
    { view: 'users', title: 'Operator token', viewer },
    html`<h1>Operator token for ${issued.subject}</h1>
      <p class="done" role="status">
        Copy it now: it is not shown again. It carries ${scopes.join(', ')} until
        ${new Date(issued.expires_at).toISOString()}.
      </p>
      <label
        >Token
        <textarea readonly rows="6" class="token" id="operator-token">${issued.token}</textarea>
      </label>
      <p><a href="${PAGE}">Back to users &amp; tokens</a></p>`,
  );
}
