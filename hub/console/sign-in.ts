import type { Request, Response } from 'express';
import { html } from '../oauth/html.ts';
import { sendErrorPage } from '../oauth/consent-page.ts';
import { field } from './admin/form.ts';
import type { ConsoleDeps } from './deps.ts';
import { CONSOLE_PATH, sendConsolePage } from './layout.ts';

function signInPage(res: Response, csrf: string, status = 200, error?: string): void {
  sendConsolePage(
    res,
    { view: 'signin', title: 'Sign in', viewer: null, status },
    html`<h1>Sign in to the console</h1>
      <p>With your hub user name and password (the ones you sign in to MCP clients with).</p>
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      <form method="post" action="${CONSOLE_PATH}/signin" class="stack narrow">
        <input type="hidden" name="csrf" value="${csrf}" />
        <label
          >User name
          <input type="text" name="username" autocomplete="username" autocapitalize="none" required autofocus
        /></label>
        <label
          >Password <input type="password" name="password" autocomplete="current-password" required
        /></label>
        <div class="actions"><button class="primary" type="submit">Sign in</button></div>
      </form>`,
  );
}

/** GET /console/signin (the console's pages send a browser without a session here). */
export async function showSignIn(req: Request, res: Response, deps: ConsoleDeps): Promise<void> {
  const csrf = deps.oauth.browser.csrfToken(req, res);
  if (await deps.oauth.browser.user(req)) {
    res.redirect(303, CONSOLE_PATH);
    return;
  }
  signInPage(res, csrf);
}

/** POST /console/signin: the hub's users, rate-limited like every sign-in; the session cookie is shared. */
export async function signInToConsole(req: Request, res: Response, deps: ConsoleDeps): Promise<void> {
  const { browser, signIn } = deps.oauth;
  if (!browser.csrfValid(req)) {
    sendErrorPage(
      res,
      403,
      'This form has expired',
      'The form did not come from this page in this browser (CSRF check).',
    );
    return;
  }
  const outcome = await signIn.attempt(
    field(req, 'username'),
    field(req, 'password', false),
    req.socket.remoteAddress ?? 'unknown',
  );
  if ('user' in outcome) {
    await browser.signIn(res, outcome.user);
    res.redirect(303, CONSOLE_PATH);
    return;
  }
  const csrf = browser.csrfToken(req, res);
  if (outcome.error === 'limited') {
    res.setHeader('Retry-After', String(outcome.retryAfterSeconds));
    signInPage(res, csrf, 429, `Too many sign-in attempts. Try again in ${outcome.retryAfterSeconds} s.`);
  } else {
    signInPage(res, csrf, 401, 'Wrong user name or password.');
  }
}

/** POST /console/signout. */
export async function signOutOfConsole(req: Request, res: Response, deps: ConsoleDeps): Promise<void> {
  if (deps.oauth.browser.csrfValid(req)) await deps.oauth.browser.signOut(req, res);
  res.redirect(303, `${CONSOLE_PATH}/signin`);
}
