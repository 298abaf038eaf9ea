import type { Response } from 'express';

/**
 * Server-rendered pages with nothing for a script to do: every interpolated value is escaped, no inline
 * script or style, and a strict Content-Security-Policy (only our stylesheet; forms post to us and, on the
 * consent page, to the client's redirect origin, since browsers apply form-action to the redirect after).
 */
export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

type Part = Html | string | number | null | undefined | false | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.text;
  if (typeof part === 'string' || typeof part === 'number') return escapeHtml(String(part));
  return part.map(render).join('');
}

/** A fragment: literal markup, with every `${value}` escaped unless it is itself a fragment. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

export const STYLESHEET_PATH = '/oauth/style.css';

export interface PageOptions {
  title: string;
  status?: number;
  /** Origins (or schemes) a form on the page may end up at besides this hub. */
  formTargets?: readonly string[];
}

/** The headers of every page the hub renders: `csp`, no framing, no sniffing, nothing cached. */
export function pageHeaders(res: Response, csp: string): void {
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on our own form posts.
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
}

/** Sends a page with the headers every sign-in page needs: CSP, no framing, no caching, no referrer. */
export function sendPage(res: Response, options: PageOptions, body: Html): void {
  const formAction = ["'self'", ...(options.formTargets ?? [])].join(' ');
  pageHeaders(
    res,
    `default-src 'none'; style-src 'self'; img-src 'self'; form-action ${formAction}; ` +
      "frame-ancestors 'none'; base-uri 'none'",
  );
  res
    .status(options.status ?? 200)
    .type('html')
    .send(
      html`<!doctype html>
        <html lang="en">
          <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>${options.title} · Plexus</title>
            <link rel="stylesheet" href="${STYLESHEET_PATH}" />
          </head>
          <body>
            <main>${body}</main>
          </body>
        </html> `.text,
    );
}

export const STYLESHEET = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.45; }
body { margin: 0; display: flex; justify-content: center; }
main { max-width: 34rem; width: 100%; padding: 2rem 1.25rem; }
h1 { font-size: 1.4rem; margin: 0 0 1rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1rem; margin: 1rem 0; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
ul.scopes { margin: .25rem 0; padding-left: 1.1rem; }
label { display: block; margin: .6rem 0; }
input[type=text], input[type=password] { display: block; width: 100%; box-sizing: border-box; padding: .45rem; font: inherit; }
.actions { display: flex; gap: .75rem; margin-top: 1rem; }
button { font: inherit; padding: .45rem 1.1rem; cursor: pointer; }
button.primary { font-weight: 600; }
.note { font-size: .9rem; opacity: .8; }
.warning { border-left: 4px solid #c77c00; padding: .4rem .75rem; margin: 1rem 0; }
.error { border-left: 4px solid #c62828; padding: .4rem .75rem; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
th, td { text-align: left; padding: .4rem .3rem; border-bottom: 1px solid #8884; vertical-align: top; }
td form { margin: 0; }
`;
