import { convert } from 'html-to-text';

/** Readable text of an HTML page: headings, paragraphs, lists and links kept; scripts, styles and chrome dropped. */
export function htmlToReadable(html: string): { title: string | null; text: string } {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(html)?.[1]?.trim() || null;
  const text = convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: false, hideLinkHrefIfSameAsText: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'nav', format: 'skip' },
      { selector: 'footer', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'noscript', format: 'skip' },
      { selector: 'svg', format: 'skip' },
      { selector: 'form', format: 'skip' },
    ],
  });
  return { title: title ? decodeEntities(title) : null, text: text.replace(/\n{3,}/g, '\n\n').trim() };
}

function decodeEntities(text: string): string {
  return convert(text, { wordwrap: false });
}
