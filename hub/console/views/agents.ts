import { html } from '../../oauth/html.ts';
import { csrfField, notice as noticeOf } from '../layout.ts';
import { ago, badge, did, live } from './format.ts';
import type { View } from './view.ts';

/** The agents the registry knows: status, role, capabilities, trust and load; operators may revoke one. */
export const agentsView: View = {
  title: () => 'Agents',
  regions: ({ snapshot, viewer }) => {
    const agents = snapshot.agents;
    if (agents === null) return { agents: html`<p>No registry is mounted, or it did not answer.</p>` };
    if (agents.length === 0) return { agents: html`<p>No agent has registered yet.</p>` };
    return {
      agents: html`<table>
        <caption>
          ${agents.length} agent(s)
        </caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col">Role</th>
            <th scope="col">Capabilities</th>
            <th scope="col">Trust</th>
            <th scope="col">Load</th>
            <th scope="col">Tasks</th>
            <th scope="col">Heartbeat</th>
            <th scope="col">DID</th>
            ${viewer.operator ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : null}
          </tr>
        </thead>
        <tbody>
          ${agents.map((agent) => {
            const refused = snapshot.revoked.get(agent.did);
            return html`<tr data-did="${agent.did}">
              <th scope="row">${agent.name}</th>
              <td>${refused ? badge('revoked') : badge(agent.status)}</td>
              <td>${agent.role}</td>
              <td class="wrap">${agent.capabilities.join(', ')}</td>
              <td>${agent.trust === null ? '–' : agent.trust.toFixed(2)}</td>
              <td>${Math.round(agent.load * 100)} %</td>
              <td>${agent.active_tasks}</td>
              <td>${ago(agent.last_heartbeat, snapshot.at)}</td>
              <td>${did(agent.did)}</td>
              ${
                viewer.operator
                  ? html`<td>
                      ${
                        refused
                          ? html`<span class="note"
                              >by
                              ${refused.by === agent.did ? 'itself' : 'an operator'}${
                                refused.reason ? `: ${refused.reason}` : ''
                              }</span
                            >`
                          : html`<form method="post" action="/console/admin/revoke" class="inline">
                              ${csrfField(viewer)}
                              <input type="hidden" name="subject" value="${agent.did}" />
                              <label
                                ><span class="visually-hidden">Why revoke ${agent.name}</span>
                                <input
                                  type="text"
                                  name="reason"
                                  maxlength="200"
                                  required
                                  placeholder="reason"
                              /></label>
                              <button
                                type="submit"
                                id="revoke-${agent.did}"
                                aria-label="Revoke ${agent.name}"
                                class="danger"
                              >
                                Revoke
                              </button>
                            </form>`
                      }
                    </td>`
                  : null
              }
            </tr>`;
          })}
        </tbody>
      </table>`,
    };
  },
  body: ({ query }, regions) =>
    html`<h1>Agents</h1>
      ${noticeOf(query)}
      <p>
        Online agents sent a heartbeat in time; stale ones are late; offline ones signed off or went silent.
        Revoking an agent revokes its identity in the whole network, in your name and with your reason: every
        hub and server refuses it from then on, as if it had revoked itself.
      </p>
      ${live('agents', regions['agents'] ?? html``)}`,
};
