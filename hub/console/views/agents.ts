import { html } from '../../oauth/html.ts';
import { csrfField, notice as noticeOf } from '../layout.ts';
import { ago, badge, did, live } from './format.ts';
import type { View } from './view.ts';

/** The agents the registry knows: status, role, capabilities, trust and load; operators may revoke one. */
export const agentsView: View = {
  title: () => 'Agents',
  regions: ({ snapshot, viewer, settings }) => {
    const agents = snapshot.agents;
    if (agents === null) return { agents: html`<p>No registry is mounted, or it did not answer.</p>` };
    if (agents.length === 0) return { agents: html`<p>No agent has registered yet.</p>` };
    const revoked = settings.data.revoked;
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
            const refused = revoked[agent.did];
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
                          ? html`<span class="note">by ${refused.by}</span>`
                          : html`<form method="post" action="/console/admin/revoke">
                              ${csrfField(viewer)}
                              <input type="hidden" name="subject" value="${agent.did}" />
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
        Revoking refuses the identity at this hub at once: its tokens stop working.
      </p>
      ${live('agents', regions['agents'] ?? html``)}`,
};
