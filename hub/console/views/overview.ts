import { html } from '../../oauth/html.ts';
import { eventRows } from './events.ts';
import { live, perSecond } from './format.ts';
import type { View } from './view.ts';

/** The first page: the whole network in a few numbers, the last hour in charts, the newest events. */
export const overviewView: View = {
  title: () => 'Overview',
  charts: true,
  regions: ({ snapshot }) => {
    const agents = snapshot.agents ?? [];
    const count = (status: string) => agents.filter((a) => a.status === status).length;
    const up = snapshot.servers.filter((s) => s.state === 'ready').length;
    const calls = snapshot.servers.reduce((sum, s) => sum + s.callsPerSecond, 0);
    const { messages } = snapshot;
    return {
      summary: html`<dl class="cards">
        <div>
          <dt>Agents online</dt>
          <dd id="agents-online">${count('online')}</dd>
          <dd class="note">${count('stale')} stale · ${count('offline')} offline</dd>
        </div>
        <div>
          <dt>Messages sent /s</dt>
          <dd id="messages-sent">${perSecond(messages.sent)}</dd>
          <dd class="note">${messages.totals.sent} in all</dd>
        </div>
        <div>
          <dt>Delivered /s</dt>
          <dd id="messages-delivered">${perSecond(messages.delivered)}</dd>
          <dd class="note">${messages.totals.delivered} in all</dd>
        </div>
        <div>
          <dt>Acked /s</dt>
          <dd id="messages-acked">${perSecond(messages.acked)}</dd>
          <dd class="note">${messages.totals.acked} in all</dd>
        </div>
        <div>
          <dt>Tool calls /s</dt>
          <dd>${perSecond(calls)}</dd>
          <dd class="note">${snapshot.sessions} open sessions</dd>
        </div>
        <div>
          <dt>Servers up</dt>
          <dd>${up} / ${snapshot.servers.length}</dd>
        </div>
        <div>
          <dt>Rate-limit hits /s</dt>
          <dd>${perSecond(snapshot.rateLimited.perSecond)}</dd>
          <dd class="note">${snapshot.rateLimited.total} in all</dd>
        </div>
      </dl>`,
      events: eventRows(snapshot.events.slice(0, 10), 'Newest events'),
    };
  },
  body: (_ctx, regions) =>
    html`<h1>Overview</h1>
      ${live('summary', regions['summary'] ?? html``)}
      <h2>The last hour</h2>
      <div class="charts">
        <figure>
          <div
            class="chart"
            data-chart="messages"
            role="img"
            aria-label="Messages per second over the last hour"
          ></div>
          <figcaption>Messages per second: sent, delivered, acked</figcaption>
        </figure>
        <figure>
          <div
            class="chart"
            data-chart="calls"
            role="img"
            aria-label="Tool calls per second over the last hour"
          ></div>
          <figcaption>Tool calls per second</figcaption>
        </figure>
        <figure>
          <div
            class="chart"
            data-chart="online"
            role="img"
            aria-label="Agents online over the last hour"
          ></div>
          <figcaption>Agents online</figcaption>
        </figure>
      </div>
      <h2>Events</h2>
      ${live('events', regions['events'] ?? html``)}
      <p><a href="/console/events">All events</a></p>`,
};
