import { html, type Html } from '../../oauth/html.ts';
import type { Event } from '../../../schemas/event.ts';
import { clock, did, live } from './format.ts';
import type { View } from './view.ts';

/** Who did it: the signed-in person of an admin action, whoever revoked an identity. */
function actor(event: Event): Html | string {
  const { actor: name, revoked_by: revoker } = event.data;
  if (typeof name === 'string') return name;
  return typeof revoker === 'string' ? (revoker.startsWith('did:') ? did(revoker) : revoker) : '';
}

/** An event's data, compact: admin actions name who did them first. */
function details(event: Event): string {
  const text = JSON.stringify(event.data);
  return text === '{}' ? '' : text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

export function eventRows(events: readonly Event[], caption: string): Html {
  if (events.length === 0) return html`<p>No events yet.</p>`;
  return html`<table>
    <caption>
      ${caption}
    </caption>
    <thead>
      <tr>
        <th scope="col">Time (UTC)</th>
        <th scope="col">Type</th>
        <th scope="col">Subject</th>
        <th scope="col">By</th>
        <th scope="col">Details</th>
      </tr>
    </thead>
    <tbody>
      ${events.map(
        (event) =>
          html`<tr class="${event.type.startsWith('admin.') ? 'admin' : ''}">
            <td>${clock(event.timestamp)}</td>
            <td><code>${event.type}</code></td>
            <td class="wrap">${event.subject}</td>
            <td>${actor(event)}</td>
            <td class="wrap note">${details(event)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** The event stream: system events of every server and the console's admin actions, newest first. */
export const eventsView: View = {
  title: () => 'Events',
  regions: ({ snapshot }) => ({ events: eventRows(snapshot.events, 'The newest 50 events, newest first') }),
  body: (_ctx, regions) =>
    html`<h1>Events</h1>
      <p>
        Every server's system events and every admin action (who, what, when), as the router keeps them; the
        newest first.
      </p>
      ${live('events', regions['events'] ?? html``)}`,
};
