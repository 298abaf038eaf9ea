import { html } from '../../oauth/html.ts';
import { did, live, perSecond } from './format.ts';
import type { View } from './view.ts';

/**
 * Message flow through the router: envelopes sent, delivered into inboxes and acknowledged per second, and
 * the fullest inboxes. Counts only: the hub holds ciphertext and the console never shows content.
 */
export const messagesView: View = {
  title: () => 'Messages',
  charts: true,
  regions: ({ snapshot }) => {
    const { messages, inboxes } = snapshot;
    return {
      flow: html`<table>
        <caption>
          Message flow (averaged over 5 s)
        </caption>
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col">Per second</th>
            <th scope="col">Since the hub started</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Sent</th>
            <td id="flow-sent">${perSecond(messages.sent)}</td>
            <td id="flow-sent-total">${messages.totals.sent}</td>
          </tr>
          <tr>
            <th scope="row">Delivered</th>
            <td>${perSecond(messages.delivered)}</td>
            <td id="flow-delivered-total">${messages.totals.delivered}</td>
          </tr>
          <tr>
            <th scope="row">Acked</th>
            <td>${perSecond(messages.acked)}</td>
            <td id="flow-acked-total">${messages.totals.acked}</td>
          </tr>
        </tbody>
      </table>`,
      inboxes:
        inboxes === null
          ? html`<p>No router is mounted, or it did not answer.</p>`
          : inboxes.length === 0
            ? html`<p>Every inbox is empty.</p>`
            : html`<table>
                <caption>
                  The fullest inboxes
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Inbox of</th>
                    <th scope="col">Waiting</th>
                  </tr>
                </thead>
                <tbody>
                  ${inboxes.map(
                    (inbox) =>
                      html`<tr>
                        <td>${inbox.owner.startsWith('did:') ? did(inbox.owner) : inbox.owner}</td>
                        <td>${inbox.waiting}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`,
    };
  },
  body: (_ctx, regions) =>
    html`<h1>Messages</h1>
      <p>Counts only: envelopes are sealed end to end, and the console never shows what they say.</p>
      ${live('flow', regions['flow'] ?? html``)}
      <figure>
        <div
          class="chart"
          data-chart="messages"
          role="img"
          aria-label="Messages per second over the last hour"
        ></div>
        <figcaption>Messages per second over the last hour: sent, delivered, acked</figcaption>
      </figure>
      <h2>Inboxes</h2>
      ${live('inboxes', regions['inboxes'] ?? html``)}`,
};
