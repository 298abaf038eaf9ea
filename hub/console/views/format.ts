import { html, type Html } from '../../oauth/html.ts';

export function perSecond(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

export function millis(value: number | null): string {
  if (value === null) return '–';
  return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`;
}

export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

export function dateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** How long ago, from `now`. */
export function ago(ms: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

/** A DID shortened for a table, whole in its title and for screen readers. */
export function did(value: string): Html {
  const short = value.length > 24 ? `${value.slice(0, 14)}…${value.slice(-6)}` : value;
  return html`<code title="${value}" aria-label="${value}">${short}</code>`;
}

/** A status word with its colour class (the word itself carries the meaning). */
export function badge(word: string): Html {
  return html`<span class="badge badge-${word.replace(/[^a-z-]/g, '')}">${word}</span>`;
}

/** A live region: replaced as a whole by each update the page's event stream brings. */
export function live(name: string, content: Html): Html {
  return html`<div data-live="${name}">${content}</div>`;
}
