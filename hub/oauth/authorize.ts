import type { Request, Response } from 'express';
import type { Logger } from '../../lib/log.ts';
import {
  checkAuthorizationRequest,
  errorRedirect,
  isFailure,
  type AuthorizationRequest,
} from './authorization-request.ts';
import type { BrowserState } from './browser.ts';
import type { ClientDirectory } from './clients.ts';
import { sendConsentPage, sendErrorPage } from './consent-page.ts';
import { OAuthError } from './errors.ts';
import type { Grants } from './grants.ts';
import type { HubResources } from './resources.ts';
import type { SignIn } from './sign-in.ts';
import type { UserRecord } from './store.ts';

export interface AuthorizeDeps {
  issuer: string;
  clients: ClientDirectory;
  resources: HubResources;
  browser: BrowserState;
  grants: Grants;
  signIn: SignIn;
  log: Logger;
}

/** Checks the request; answers the failure (page or redirect) itself and returns null then. */
async function checked(
  params: Record<string, unknown>,
  res: Response,
  deps: AuthorizeDeps,
): Promise<AuthorizationRequest | null> {
  const outcome = await checkAuthorizationRequest(params, deps);
  if (!isFailure(outcome)) return outcome;
  if (outcome.redirect) res.redirect(303, outcome.redirect);
  else sendErrorPage(res, 400, 'This sign-in link is not valid', outcome.error.message);
  return null;
}

/** GET /oauth/authorize: the consent page (with the sign-in form unless this browser is signed in). */
export async function showAuthorization(req: Request, res: Response, deps: AuthorizeDeps): Promise<void> {
  const request = await checked(req.query, res, deps);
  if (!request) return;
  sendConsentPage(res, {
    request,
    user: await deps.browser.user(req),
    csrf: deps.browser.csrfToken(req, res),
  });
}

/** The person signing in on the consent form, or null after answering with the page again. */
async function personOf(req: Request, res: Response, request: AuthorizationRequest, deps: AuthorizeDeps) {
  const signedIn = await deps.browser.user(req);
  if (signedIn) return signedIn;
  const body = req.body as Record<string, unknown>;
  const name = typeof body['username'] === 'string' ? body['username'].trim() : '';
  const password = typeof body['password'] === 'string' ? body['password'] : '';
  const again = (status: number, error: string): null => {
    sendConsentPage(res, { request, user: null, csrf: deps.browser.csrfToken(req, res), error, status });
    return null;
  };
  if (!name || !password) return again(400, 'Enter your user name and password.');
  const outcome = await deps.signIn.attempt(name, password, req.socket.remoteAddress ?? 'unknown');
  if ('user' in outcome) {
    await deps.browser.signIn(res, outcome.user);
    return outcome.user;
  }
  if (outcome.error === 'limited') {
    res.setHeader('Retry-After', String(outcome.retryAfterSeconds));
    return again(429, `Too many sign-in attempts. Try again in ${outcome.retryAfterSeconds} s.`);
  }
  deps.log.info({ user: name }, 'sign-in refused: wrong user name or password');
  return again(401, 'Wrong user name or password.');
}

/** POST /oauth/authorize: the person's decision (signing in first when needed). */
export async function decideAuthorization(req: Request, res: Response, deps: AuthorizeDeps): Promise<void> {
  if (!deps.browser.csrfValid(req)) {
    sendErrorPage(
      res,
      403,
      'This form has expired',
      'The form did not come from this page in this browser (CSRF check). Start signing in again from the app.',
    );
    return;
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  const request = await checked(body, res, deps);
  if (!request) return;
  const fail = (error: OAuthError) =>
    res.redirect(303, errorRedirect(request.redirectUri, deps.issuer, error, request.state));
  if (body['decision'] !== 'approve') {
    fail(new OAuthError('access_denied', 'the person denied the request'));
    return;
  }
  const user: UserRecord | null = await personOf(req, res, request, deps);
  if (!user) return;
  try {
    const location = await deps.grants.approve(user, request);
    deps.log.info(
      { user: user.name, client: request.client.clientId, resource: request.resource },
      'client approved',
    );
    res.redirect(303, location);
  } catch (error) {
    if (error instanceof OAuthError) {
      fail(error);
      return;
    }
    deps.log.error({ err: error, user: user.name }, 'approval failed');
    sendErrorPage(
      res,
      503,
      'Signing in failed',
      'The hub could not finish (its identity server did not answer). Try again in a moment.',
    );
  }
}
