import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { html, type Html } from '../oauth/html.ts';
import { sendErrorPage } from '../oauth/consent-page.ts';
import { revokeSubject } from './admin/identities.ts';
import { back, messageOf } from './admin/form.ts';
import { mountServer, switchServerOrTool, unmountServer } from './admin/servers.ts';
import { addUser, createOperatorToken, removeUser, revokeApp, setPassword } from './admin/users.ts';
import { createVirtual, deleteVirtual } from './admin/virtual.ts';
import type { ConsoleDeps } from './deps.ts';
import type { Snapshot } from './live.ts';
import { ASSETS, CONSOLE_PATH, sendConsolePage, type ViewId, type Viewer } from './layout.ts';
import { showSignIn, signInToConsole, signOutOfConsole } from './sign-in.ts';
import { agentsView } from './views/agents.ts';
import { eventsView } from './views/events.ts';
import { messagesView } from './views/messages.ts';
import { overviewView } from './views/overview.ts';
import { sandboxView } from './views/sandbox.ts';
import { serversView, serverView } from './views/servers.ts';
import { tasksView } from './views/tasks.ts';
import { loadUsers, usersView } from './views/users.ts';
import type { View, ViewContext } from './views/view.ts';
import { virtualView } from './views/virtual.ts';

/** Files the console serves from the hub itself: its own script and style, and the charting library. */
function assetFiles(): Map<string, { file: string; type: string }> {
  const require = createRequire(import.meta.url);
  const uplot = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  const own = path.join(path.dirname(new URL(import.meta.url).pathname), 'assets');
  return new Map([
    ['console.js', { file: path.join(own, 'console.js'), type: 'text/javascript' }],
    ['console.css', { file: path.join(own, 'console.css'), type: 'text/css' }],
    ['favicon.svg', { file: path.join(own, 'favicon.svg'), type: 'image/svg+xml' }],
    ['uPlot.iife.min.js', { file: path.join(uplot, 'uPlot.iife.min.js'), type: 'text/javascript' }],
    ['uPlot.min.css', { file: path.join(uplot, 'uPlot.min.css'), type: 'text/css' }],
  ]);
}

/** A console path → the view serving it and its path parameters. */
function route(
  pathname: string,
  data?: Parameters<typeof usersView>[0],
): { id: ViewId; view: View; params: Record<string, string> } | null {
  const rest = pathname.replace(/\/+$/, '').slice(CONSOLE_PATH.length);
  const fixed: Record<string, [ViewId, View]> = {
    '': ['overview', overviewView],
    '/agents': ['agents', agentsView],
    '/tasks': ['tasks', tasksView],
    '/messages': ['messages', messagesView],
    '/servers': ['servers', serversView],
    '/sandbox': ['sandbox', sandboxView],
    '/events': ['events', eventsView],
    '/virtual': ['virtual', virtualView],
  };
  const found = fixed[rest];
  if (found) return { id: found[0], view: found[1], params: {} };
  // The live feed needs no users: the page has no live regions.
  if (rest === '/users')
    return { id: 'users', view: usersView(data ?? { users: [], grants: new Map() }), params: {} };
  const server = /^\/servers\/([a-zA-Z0-9][a-zA-Z0-9_-]{0,29})$/.exec(rest);
  if (server?.[1]) return { id: 'server', view: serverView, params: { name: server[1] } };
  return null;
}

type Action = (req: Request, res: Response, viewer: Viewer, deps: ConsoleDeps) => Promise<void>;

const ACTIONS: Record<string, [Action, string]> = {
  revoke: [revokeSubject, '/console/agents'],
  switch: [switchServerOrTool, '/console/servers'],
  mount: [mountServer, '/console/servers'],
  unmount: [unmountServer, '/console/servers'],
  virtual: [createVirtual, '/console/virtual'],
  'virtual/delete': [deleteVirtual, '/console/virtual'],
  'users/add': [addUser, '/console/users'],
  'users/remove': [removeUser, '/console/users'],
  'users/password': [setPassword, '/console/users'],
  'users/revoke-app': [revokeApp, '/console/users'],
  'tokens/create': [createOperatorToken, '/console/users'],
};

/**
 * The console at /console: server-rendered pages for the hub's signed-in users, live through one event
 * stream per page (/console/live), admin actions for operators (/console/admin/…), and its assets.
 */
export function consoleRouter(deps: ConsoleDeps): express.Router {
  const { browser } = deps.oauth;
  const assets = assetFiles();
  const form = express.urlencoded({ extended: false, limit: '256kb', parameterLimit: 2000 });
  const router = express.Router();
  const run =
    (handler: (req: Request, res: Response) => Promise<void>) =>
    (req: Request, res: Response, next: NextFunction) => {
      handler(req, res).catch(next);
    };

  async function viewerOf(req: Request, res: Response): Promise<Viewer | null> {
    const user = await browser.user(req);
    if (!user) return null;
    return { user, operator: user.scopes.includes('admin'), csrf: browser.csrfToken(req, res) };
  }

  function contextOf(
    snapshot: Snapshot,
    viewer: Viewer,
    params: Record<string, string>,
    query: Record<string, unknown>,
  ): ViewContext {
    const { settings, config, aggregator, publicUrl } = deps;
    return { snapshot, viewer, settings, config, aggregator, publicUrl, query, params };
  }

  /** A snapshot taken now: a page shows the network as it is when it is asked for. */
  async function latest(): Promise<Snapshot> {
    await deps.live.refresh(true);
    if (!deps.live.latest) throw new Error('the console has no snapshot yet');
    return deps.live.latest;
  }

  router.get(`${ASSETS}/:file`, (req, res) => {
    const asset = assets.get(String(req.params['file']));
    if (!asset) {
      res.status(404).type('text').send('no such asset');
      return;
    }
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.type(asset.type);
    fs.createReadStream(asset.file).pipe(res);
  });

  router.get(
    `${CONSOLE_PATH}/signin`,
    run(async (req, res) => showSignIn(req, res, deps)),
  );
  router.post(
    `${CONSOLE_PATH}/signin`,
    form,
    run(async (req, res) => signInToConsole(req, res, deps)),
  );
  router.post(
    `${CONSOLE_PATH}/signout`,
    form,
    run(async (req, res) => signOutOfConsole(req, res, deps)),
  );

  // The live feed of a page: its regions re-rendered on every snapshot, sent when they changed.
  router.get(
    `${CONSOLE_PATH}/live`,
    run(async (req, res) => {
      const viewer = await viewerOf(req, res);
      const target = typeof req.query['path'] === 'string' ? route(req.query['path']) : null;
      if (!viewer || !target || (target.view.operator && !viewer.operator)) {
        res
          .status(viewer ? 404 : 401)
          .type('text')
          .send(viewer ? 'no such page' : 'sign in first');
        return;
      }
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Accel-Buffering': 'no',
        Connection: 'keep-alive',
      });
      // Opens the stream at once, also for a page with nothing live on it yet.
      res.write(': live\n\n');
      const sent = new Map<string, string>();
      let chartAt = -1;
      const push = (snapshot: Snapshot) => {
        const ctx = contextOf(snapshot, viewer, target.params, {});
        const changed: Record<string, string> = {};
        for (const [name, fragment] of Object.entries(target.view.regions(ctx))) {
          if (sent.get(name) !== fragment.text) changed[name] = fragment.text;
          sent.set(name, fragment.text);
        }
        if (Object.keys(changed).length) res.write(`event: regions\ndata: ${JSON.stringify(changed)}\n\n`);
        const chart = deps.live.chart;
        const last = chart.at(-1)?.at ?? 0;
        if (target.view.charts && last !== chartAt) {
          chartAt = last;
          res.write(`event: chart\ndata: ${JSON.stringify(chart)}\n\n`);
        }
      };
      if (deps.live.latest) push(deps.live.latest);
      const stop = deps.live.subscribe(push);
      res.on('close', stop);
    }),
  );

  router.post(
    `${CONSOLE_PATH}/admin/*action`,
    form,
    run(async (req, res) => {
      const name = ([] as string[])
        .concat((req.params as Record<string, string | string[]>)['action'] ?? [])
        .join('/');
      const action = ACTIONS[name];
      if (!action) {
        res.status(404).type('text').send('no such action');
        return;
      }
      if (!browser.csrfValid(req)) {
        sendErrorPage(
          res,
          403,
          'This form has expired',
          'The form did not come from this console in this browser (CSRF check). Go back, reload and try again.',
        );
        return;
      }
      const viewer = await viewerOf(req, res);
      if (!viewer) {
        res.redirect(303, `${CONSOLE_PATH}/signin`);
        return;
      }
      if (!viewer.operator) {
        sendConsolePage(
          res,
          { view: 'overview', title: 'Not allowed', viewer, status: 403 },
          html`<h1>Not allowed</h1>
            <p class="error" role="alert">Only operators (users with the admin scope) may do this.</p>`,
        );
        return;
      }
      const [handler, page] = action;
      try {
        await handler(req, res, viewer, deps);
      } catch (error) {
        const message = messageOf(error);
        if (message === null) throw error;
        back(res, page, { error: message });
      }
    }),
  );

  router.get(
    [CONSOLE_PATH, `${CONSOLE_PATH}/*page`],
    run(async (req, res) => {
      const viewer = await viewerOf(req, res);
      if (!viewer) {
        res.redirect(303, `${CONSOLE_PATH}/signin`);
        return;
      }
      const users =
        req.path.replace(/\/+$/, '') === `${CONSOLE_PATH}/users` && viewer.operator
          ? await loadUsers(deps.oauth.store, deps.now())
          : undefined;
      const target = route(req.path, users);
      if (!target || (target.view.operator && !viewer.operator)) {
        sendConsolePage(
          res,
          { view: 'overview', title: 'Not found', viewer, status: 404 },
          html`<h1>Not found</h1>
            <p>There is no such console page. <a href="${CONSOLE_PATH}">Overview</a></p>`,
        );
        return;
      }
      const ctx = contextOf(await latest(), viewer, target.params, req.query);
      const regions: Record<string, Html> = target.view.regions(ctx);
      sendConsolePage(
        res,
        { view: target.id, title: target.view.title(ctx), viewer, charts: target.view.charts ?? false },
        target.view.body(ctx, regions),
      );
    }),
  );

  return router;
}
