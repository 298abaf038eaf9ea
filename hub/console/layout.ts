import type { Response } from 'express';
import { html, pageHeaders, type Html } from '../oauth/html.ts';
import type { UserRecord } from '../oauth/store.ts';

export const CONSOLE_PATH = '/console';
export const ASSETS = `${CONSOLE_PATH}/assets`;

/** The console's pages, in navigation order: path below /console, label, whether only operators see it. */
export const PAGES = [
  { view: 'overview', path: '', label: 'Overview', operator: false },
  { view: 'agents', path: '/agents', label: 'Agents', operator: false },
  { view: 'tasks', path: '/tasks', label: 'Tasks', operator: false },
  { view: 'messages', path: '/messages', label: 'Messages', operator: false },
  { view: 'servers', path: '/servers', label: 'Servers', operator: false },
  { view: 'sandbox', path: '/sandbox', label: 'Sandbox', operator: false },
  { view: 'events', path: '/events', label: 'Events', operator: false },
  { view: 'virtual', path: '/virtual', label: 'Virtual servers', operator: false },
  { view: 'users', path: '/users', label: 'Users & tokens', operator: true },
] as const;
export type ViewId = (typeof PAGES)[number]['view'] | 'server' | 'signin';

/** Who is looking: the signed-in hub user, whether they hold the operator role, and their form token. */
export interface Viewer {
  user: UserRecord;
  operator: boolean;
  csrf: string;
}

/**
 * The headers of every console page: scripts and styles only from the hub itself (no inline code), live
 * updates only from its own event stream, no framing, nothing cached.
 */
export function consoleHeaders(res: Response): void {
  pageHeaders(
    res,
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
      "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
}

/** A hidden CSRF field for the console's forms. */
export function csrfField(viewer: Viewer): Html {
  return html`<input type="hidden" name="csrf" value="${viewer.csrf}" />`;
}

/** A note shown after an admin action (`?done=` or `?error=` on the page it returns to). */
export function notice(query: Record<string, unknown>): Html | null {
  const done = typeof query['done'] === 'string' ? query['done'].slice(0, 300) : null;
  const error = typeof query['error'] === 'string' ? query['error'].slice(0, 500) : null;
  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (done) return html`<p class="done" role="status">${done}</p>`;
  return null;
}

export interface ConsolePage {
  view: ViewId;
  title: string;
  viewer: Viewer | null;
  status?: number;
  /** Charts need the charting library. */
  charts?: boolean;
}

export function sendConsolePage(res: Response, page: ConsolePage, body: Html): void {
  consoleHeaders(res);
  const { viewer } = page;
  const nav = viewer
    ? html`<nav aria-label="Console">
        <ul>
          ${PAGES.filter((p) => !p.operator || viewer.operator).map(
            (p) =>
              html`<li>
                <a href="${CONSOLE_PATH}${p.path}" ${p.view === page.view ? html`aria-current="page"` : null}
                  >${p.label}</a
                >
              </li>`,
          )}
        </ul>
      </nav>`
    : null;
  const who = viewer
    ? html`<form class="who" method="post" action="${CONSOLE_PATH}/signout">
        ${csrfField(viewer)}
        <span
          >${viewer.user.name}
          <span class="role">${viewer.operator ? 'operator' : viewer.user.scopes.join(', ')}</span></span
        >
        <button type="submit">Sign out</button>
      </form>`
    : null;
  res
    .status(page.status ?? 200)
    .type('html')
    .send(
      html`<!doctype html>
        <html lang="en">
          <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>${page.title} · Plexus console</title>
            ${page.charts ? html`<link rel="stylesheet" href="${ASSETS}/uPlot.min.css" />` : null}
            <link rel="stylesheet" href="${ASSETS}/console.css" />
            <link rel="icon" href="${ASSETS}/favicon.svg" type="image/svg+xml" />
          </head>
          <body data-view="${page.view}">
            <a class="skip" href="#main">Skip to content</a>
            <header>
              <a class="brand" href="${CONSOLE_PATH}">Plexus console</a>
              ${nav} ${who}
            </header>
            <main id="main" tabindex="-1">${body}</main>
            ${page.charts ? html`<script src="${ASSETS}/uPlot.iife.min.js"></script>` : null}
            ${viewer ? html`<script src="${ASSETS}/console.js"></script>` : null}
          </body>
        </html>`.text,
    );
}
