/**
 * A browser played with fetch, for OAuth tests: it keeps cookies, does not follow redirects (the test looks
 * at each one), and reads the forms of the hub's server-rendered pages.
 */
export interface Page {
  status: number;
  url: string;
  location: string | null;
  html: string;
}

function unescape(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export class FetchBrowser {
  readonly cookies = new Map<string, string>();

  #remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0|expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async #send(url: string, init: RequestInit = {}): Promise<Page> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0)
      headers.set('Cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.#remember(response);
    const location = response.headers.get('location');
    return {
      status: response.status,
      url,
      location: location === null ? null : new URL(location, url).href,
      html: await response.text(),
    };
  }

  get(url: string): Promise<Page> {
    return this.#send(url);
  }

  /** Posts a form as a browser would, from a page of `origin` (browsers send Origin on form posts). */
  post(url: string, fields: Record<string, string>): Promise<Page> {
    return this.#send(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: new URL(url).origin },
      body: new URLSearchParams(fields),
    });
  }
}

/** The fields of the form posting to `action` on a page (hidden inputs with their values). */
export function formOf(page: Page, action: string): Record<string, string> {
  const start = page.html.indexOf(`action="${action}"`);
  if (start < 0)
    throw new Error(`no form posting to ${action} on ${page.url} (HTTP ${page.status}):\n${page.html}`);
  const form = page.html.slice(start, page.html.indexOf('</form>', start));
  const fields: Record<string, string> = {};
  for (const match of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\s*\/?>/g)) {
    fields[match[1] as string] = unescape(match[2] as string);
  }
  return fields;
}

/** The visible text of an element with `role="alert"` (the page's error), or null. */
export function alertOf(page: Page): string | null {
  const match = /role="alert">([\s\S]*?)<\/p>/.exec(page.html);
  return match ? unescape(match[1] as string) : null;
}

/**
 * Opens an authorization URL, signs in on the consent page and approves (or denies); returns the URL the
 * hub sends the browser back to (the client's redirect URI with code or error, state and iss).
 */
export async function authorizeInBrowser(
  browser: FetchBrowser,
  authorizationUrl: string,
  options: { username: string; password: string; decision?: 'approve' | 'deny' },
): Promise<URL> {
  const consent = await browser.get(authorizationUrl);
  if (consent.status !== 200) throw new Error(`consent page: HTTP ${consent.status} ${consent.html}`);
  const fields = formOf(consent, '/oauth/authorize');
  const answered = await browser.post(new URL('/oauth/authorize', authorizationUrl).href, {
    ...fields,
    username: options.username,
    password: options.password,
    decision: options.decision ?? 'approve',
  });
  if (answered.status !== 303 || !answered.location)
    throw new Error(
      `expected a redirect back to the client, got HTTP ${answered.status}: ${alertOf(answered) ?? answered.html}`,
    );
  return new URL(answered.location);
}
