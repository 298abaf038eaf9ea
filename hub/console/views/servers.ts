import { html, type Html } from '../../oauth/html.ts';
import { csrfField, notice, type Viewer } from '../layout.ts';
import type { ServerStats } from '../live.ts';
import { badge, live, millis, perSecond } from './format.ts';
import type { View } from './view.ts';

/** A form switching a server or a tool on or off. */
export function switchForm(viewer: Viewer, kind: 'server' | 'tool', name: string, enabled: boolean): Html {
  return html`<form method="post" action="/console/admin/switch">
    ${csrfField(viewer)}
    <input type="hidden" name="kind" value="${kind}" />
    <input type="hidden" name="name" value="${name}" />
    <input type="hidden" name="enabled" value="${enabled ? 'false' : 'true'}" />
    <button type="submit" id="switch-${kind}-${name}" aria-label="${enabled ? 'Disable' : 'Enable'} ${name}">
      ${enabled ? 'Disable' : 'Enable'}
    </button>
  </form>`;
}

/** A form unmounting a server the console mounted. */
function unmountForm(viewer: Viewer, name: string): Html {
  return html`<form method="post" action="/console/admin/unmount">
    ${csrfField(viewer)}
    <input type="hidden" name="name" value="${name}" />
    <button type="submit" class="danger" aria-label="Unmount ${name}">Unmount</button>
  </form>`;
}

function serverRow(server: ServerStats, viewer: Viewer, unmountable: boolean): Html {
  return html`<tr>
    <th scope="row"><a href="/console/servers/${server.name}">${server.name}</a></th>
    <td>${server.enabled ? badge(server.state === 'ready' ? 'up' : server.state) : badge('disabled')}</td>
    <td class="wrap"><code>${server.target}</code></td>
    <td>${server.tools.length}</td>
    <td>${perSecond(server.callsPerSecond)}</td>
    <td>${millis(server.p50Ms)}</td>
    <td>${millis(server.p99Ms)}</td>
    <td>${server.errors}</td>
    <td>${server.restarts}</td>
    ${
      viewer.operator
        ? html`<td>
            <div class="actions">
              ${switchForm(viewer, 'server', server.name, server.enabled)}
              ${unmountable ? unmountForm(viewer, server.name) : null}
            </div>
          </td>`
        : null
    }
  </tr>`;
}

/** The mounted servers: health, traffic and latency; operators switch them off and mount new ones. */
export const serversView: View = {
  title: () => 'Servers',
  regions: ({ snapshot, viewer, settings }) => ({
    servers: html`<table>
      <caption>
        Mounted servers (latency over the last minute)
      </caption>
      <thead>
        <tr>
          <th scope="col">Server</th>
          <th scope="col">Health</th>
          <th scope="col">Reached at</th>
          <th scope="col">Tools</th>
          <th scope="col">Calls /s</th>
          <th scope="col">p50</th>
          <th scope="col">p99</th>
          <th scope="col">Errors</th>
          <th scope="col">Restarts</th>
          ${viewer.operator ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : null}
        </tr>
      </thead>
      <tbody>
        ${snapshot.servers.map((server) =>
          serverRow(server, viewer, server.name in settings.data.mcpServers),
        )}
      </tbody>
    </table>`,
  }),
  body: ({ viewer, query }, regions) =>
    html`<h1>Servers</h1>
      ${notice(query)} ${live('servers', regions['servers'] ?? html``)}
      ${
        viewer.operator
          ? html`<h2>Mount a server</h2>
              <form method="post" action="/console/admin/mount" class="stack">
                ${csrfField(viewer)}
                <label
                  >Name <span class="note">(its tools are listed as &lt;name&gt;__&lt;tool&gt;)</span>
                  <input type="text" name="name" required pattern="[a-zA-Z0-9][a-zA-Z0-9_\\-]{0,29}"
                /></label>
                <label
                  >URL <span class="note">(streamable HTTP)</span>
                  <input type="url" name="url" placeholder="https://mcp.example.com/mcp"
                /></label>
                <label
                  >or command <span class="note">(run over stdio; arguments split at spaces)</span>
                  <input
                    type="text"
                    name="command"
                    placeholder="npx -y @modelcontextprotocol/server-everything"
                /></label>
                <label
                  >Scope its tools need
                  <select name="scope">
                    <option value="read">read</option>
                    <option value="write" selected>write</option>
                    <option value="admin">admin</option>
                  </select></label
                >
                <div class="actions"><button type="submit" class="primary">Mount</button></div>
              </form>`
          : null
      }`,
};

/** One server's tools: calls, latency and errors each; operators switch single tools off. */
export const serverView: View = {
  title: ({ params }) => `Server ${params['name'] ?? ''}`,
  regions: ({ snapshot, viewer, params }) => {
    const server = snapshot.servers.find((s) => s.name === params['name']);
    if (!server) return { tools: html`<p>No server of that name is mounted.</p>` };
    return {
      tools: html`<p>
          ${server.enabled ? badge(server.state === 'ready' ? 'up' : server.state) : badge('disabled')}
          <code>${server.target}</code>
          ${server.era ? html`· MCP ${server.era === 'modern' ? '2026-07-28' : '2025-11-25'}` : null}
          ${server.lastError ? html`<br /><span class="note">last error: ${server.lastError}</span>` : null}
        </p>
        <table>
          <caption>
            Tools of ${server.name} (latency over the last minute)
          </caption>
          <thead>
            <tr>
              <th scope="col">Tool</th>
              <th scope="col">State</th>
              <th scope="col">Calls /s</th>
              <th scope="col">p50</th>
              <th scope="col">p99</th>
              <th scope="col">Errors</th>
              ${viewer.operator ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : null}
            </tr>
          </thead>
          <tbody>
            ${server.tools.map(
              (tool) =>
                html`<tr>
                  <th scope="row"><code>${tool.name}</code></th>
                  <td>${badge(tool.enabled ? 'enabled' : 'disabled')}</td>
                  <td>${perSecond(tool.callsPerSecond)}</td>
                  <td>${millis(tool.p50Ms)}</td>
                  <td>${millis(tool.p99Ms)}</td>
                  <td>${tool.errors}</td>
                  ${viewer.operator ? html`<td>${switchForm(viewer, 'tool', tool.qualified, tool.enabled)}</td>` : null}
                </tr>`,
            )}
          </tbody>
        </table>`,
    };
  },
  body: ({ params, query }, regions) =>
    html`<h1>Server ${params['name'] ?? ''}</h1>
      ${notice(query)}
      <p><a href="/console/servers">All servers</a></p>
      ${live('tools', regions['tools'] ?? html``)}`,
};
