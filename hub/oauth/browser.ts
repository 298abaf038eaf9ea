import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { OAuthStore, UserRecord } from './store.ts';
import type { Users } from './users.ts';

/**
 * What the hub remembers about a browser: a CSRF cookie (random; forms carry an HMAC of it under a key from
 * the vault, so a cookie planted by a sibling site is useless without the key) and, once someone signed in,
 * a session cookie whose SHA-256 is kept in the store (so every replica knows it). Both HttpOnly,
 * SameSite=Lax, Secure when the hub is served over https. Their path is `/`: the console signs in with the
 * same session.
 */
const CSRF_COOKIE = 'plexus_csrf';
const SESSION_COOKIE = 'plexus_session';
const COOKIE_PATH = '/';

export function cookiesOf(req: Request): Map<string, string> {
  const jar = new Map<string, string>();
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return jar;
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class BrowserState {
  readonly #store: OAuthStore;
  readonly #users: Users;
  readonly #csrfKey: Buffer;
  readonly #secure: boolean;
  readonly #sessionMs: number;
  readonly #now: () => number;

  constructor(deps: {
    store: OAuthStore;
    users: Users;
    csrfKey: Buffer;
    secure: boolean;
    sessionMs: number;
    now?: () => number;
  }) {
    this.#store = deps.store;
    this.#users = deps.users;
    this.#csrfKey = deps.csrfKey;
    this.#secure = deps.secure;
    this.#sessionMs = deps.sessionMs;
    this.#now = deps.now ?? Date.now;
  }

  #cookie(res: Response, name: string, value: string, maxAgeMs?: number): void {
    res.cookie(name, value, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.#secure,
      path: COOKIE_PATH,
      ...(maxAgeMs === undefined ? {} : { maxAge: maxAgeMs }),
    });
  }

  #sign(cookie: string): string {
    return createHmac('sha256', this.#csrfKey).update(cookie).digest('base64url');
  }

  /** The token forms on this page carry; sets the CSRF cookie when the browser has none. */
  csrfToken(req: Request, res: Response): string {
    let cookie = cookiesOf(req).get(CSRF_COOKIE);
    if (!cookie || !/^[A-Za-z0-9_-]{43}$/.test(cookie)) {
      cookie = randomBytes(32).toString('base64url');
      this.#cookie(res, CSRF_COOKIE, cookie);
    }
    return this.#sign(cookie);
  }

  /** Whether a form post carries the token of this browser's CSRF cookie. */
  csrfValid(req: Request): boolean {
    const cookie = cookiesOf(req).get(CSRF_COOKIE);
    const field = (req.body as Record<string, unknown> | undefined)?.['csrf'];
    return typeof cookie === 'string' && typeof field === 'string' && sameText(field, this.#sign(cookie));
  }

  /** The signed-in user of this browser, if any (and still a user). */
  async user(req: Request): Promise<UserRecord | null> {
    const id = cookiesOf(req).get(SESSION_COOKIE);
    if (!id) return null;
    const session = await this.#store.getSession(sha256(id), this.#now());
    return session ? this.#users.get(session.user) : null;
  }

  async signIn(res: Response, user: UserRecord): Promise<void> {
    const id = randomBytes(32).toString('base64url');
    const now = this.#now();
    await this.#store.addSession({
      idHash: sha256(id),
      user: user.name,
      createdAt: now,
      expiresAt: now + this.#sessionMs,
    });
    this.#cookie(res, SESSION_COOKIE, id, this.#sessionMs);
  }

  async signOut(req: Request, res: Response): Promise<void> {
    const id = cookiesOf(req).get(SESSION_COOKIE);
    if (id) await this.#store.deleteSession(sha256(id));
    res.clearCookie(SESSION_COOKIE, {
      path: COOKIE_PATH,
      httpOnly: true,
      sameSite: 'lax',
      secure: this.#secure,
    });
  }
}
