import fs from 'node:fs';
import path from 'node:path';
import GithubSlugger from 'github-slugger';
import MarkdownIt, { type Token } from 'markdown-it';

/**
 * The project's documentation as parsed Markdown, for the tests that hold it to account: links that resolve,
 * sample configs that start, a quick start that works.
 */
export const ROOT = path.resolve(import.meta.dirname, '../..');

const md = new MarkdownIt();

/** README.md, CONTRIBUTING.md, BENCHMARKS.md and every page under docs/, as paths relative to the root. */
export function documentationFiles(): string[] {
  const docs = fs
    .readdirSync(path.join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.md'))
    .map((file) => path.join('docs', file));
  return ['README.md', 'CONTRIBUTING.md', 'BENCHMARKS.md', ...docs.sort()];
}

export function tokensOf(file: string): Token[] {
  return md.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'), {});
}

/** The GitHub anchors of a page's headings (`#configuration-plexusjson`), as GitHub renders them. */
export function anchorsOf(file: string): Set<string> {
  const slugger = new GithubSlugger();
  const tokens = tokensOf(file);
  const anchors = new Set<string>();
  tokens.forEach((token, index) => {
    if (token.type !== 'heading_open') return;
    const text = (tokens[index + 1]?.children ?? [])
      .filter((child) => child.type === 'text' || child.type === 'code_inline')
      .map((child) => child.content)
      .join('');
    anchors.add(slugger.slug(text));
  });
  return anchors;
}

export interface Link {
  file: string;
  line: number;
  target: string;
}

/** Every link and image target outside code, with the line it is on. */
export function linksOf(file: string): Link[] {
  const links: Link[] = [];
  for (const block of tokensOf(file)) {
    const line = (block.map?.[0] ?? 0) + 1;
    for (const child of block.children ?? []) {
      const target =
        child.type === 'link_open'
          ? child.attrGet('href')
          : child.type === 'image'
            ? child.attrGet('src')
            : null;
      if (target) links.push({ file, line, target: String(target) });
    }
  }
  return links;
}

export interface CodeBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's info string: `json`, `sh`, … */
  lang: string;
  content: string;
  /** The headings the block sits under, outermost first. */
  headings: string[];
}

/** Every fenced code block, with the headings above it. */
export function codeBlocksOf(file: string): CodeBlock[] {
  const tokens = tokensOf(file);
  const blocks: CodeBlock[] = [];
  const headings: string[] = [];
  tokens.forEach((token, index) => {
    if (token.type === 'heading_open') {
      const level = Number(token.tag.slice(1));
      headings.length = level - 1;
      headings[level - 1] = tokens[index + 1]?.content ?? '';
    }
    if (token.type === 'fence') {
      blocks.push({
        file,
        line: (token.map?.[0] ?? 0) + 1,
        lang: token.info.trim(),
        content: token.content,
        headings: headings.filter((heading) => heading !== undefined),
      });
    }
  });
  return blocks;
}
