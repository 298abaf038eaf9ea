import type { Html } from '../../oauth/html.ts';
import type { Aggregator } from '../../aggregate/aggregator.ts';
import type { HubConfig } from '../../config.ts';
import type { Viewer } from '../layout.ts';
import type { Snapshot } from '../live.ts';
import type { ConsoleSettings } from '../settings.ts';

/** What a page is rendered from. */
export interface ViewContext {
  snapshot: Snapshot;
  viewer: Viewer;
  settings: ConsoleSettings;
  config: HubConfig;
  aggregator: Aggregator;
  publicUrl: string;
  /** The page's query (notices after an admin action) and path parameters. */
  query: Record<string, unknown>;
  params: Record<string, string>;
}

/**
 * One console page: its body, rendered on the server, and the live parts of it the page's event stream
 * replaces each second (the same rendering, so a page is whole without its script).
 */
export interface View {
  title(ctx: ViewContext): string;
  charts?: boolean;
  /** Only operators may open it. */
  operator?: boolean;
  regions(ctx: ViewContext): Record<string, Html>;
  body(ctx: ViewContext, regions: Record<string, Html>): Html;
}
