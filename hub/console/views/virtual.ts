import { html } from '../../oauth/html.ts';
import { csrfField, notice } from '../layout.ts';
import type { View, ViewContext } from './view.ts';

/** Every virtual server, where it is defined: plexus.json or the console. */
export function virtualServers(ctx: Pick<ViewContext, 'config' | 'settings'>) {
  return [
    ...Object.entries(ctx.config.virtualServers).map(([name, entry]) => ({
      name,
      entry,
      from: 'plexus.json',
    })),
    ...Object.entries(ctx.settings.data.virtualServers).map(([name, entry]) => ({
      name,
      entry,
      from: 'console',
    })),
  ];
}

/** The aggregate's tools grouped by server, for choosing a virtual server's tools. */
function toolChoices(ctx: ViewContext) {
  const byServer = new Map<string, { name: string; title: string }[]>();
  for (const [name, entry] of ctx.aggregator.view(null).tools) {
    const list = byServer.get(entry.source.name) ?? [];
    list.push({ name, title: entry.item.title ?? entry.item.description?.slice(0, 80) ?? '' });
    byServer.set(entry.source.name, list);
  }
  return [...byServer];
}

/** Virtual servers: named tool sets at `/mcp/v/<name>`; operators create and remove them. */
export const virtualView: View = {
  title: () => 'Virtual servers',
  regions: () => ({}),
  body: (ctx) => {
    const servers = virtualServers(ctx);
    const { viewer } = ctx;
    return html`<h1>Virtual servers</h1>
      ${notice(ctx.query)}
      <p>
        A virtual server is an MCP endpoint at <code>/mcp/v/&lt;name&gt;</code> whose tool list holds only the
        tools chosen for it (under their <code>/mcp</code> names), for clients that should see no more. It
        speaks both protocol revisions, like every endpoint of the hub.
      </p>
      ${
        servers.length === 0
          ? html`<p>No virtual server yet.</p>`
          : html`<table>
              <caption>
                Virtual servers
              </caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Endpoint</th>
                  <th scope="col">Tools</th>
                  <th scope="col">Defined in</th>
                  ${viewer.operator ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : null}
                </tr>
              </thead>
              <tbody>
                ${servers.map(
                  ({ name, entry, from }) =>
                    html`<tr>
                      <th scope="row">
                        ${name}${entry.description ? html`<br /><span class="note">${entry.description}</span>` : null}
                      </th>
                      <td class="wrap"><code>${ctx.publicUrl}/mcp/v/${name}</code></td>
                      <td class="wrap">${entry.tools.join(', ')}</td>
                      <td>${from}</td>
                      ${
                        viewer.operator
                          ? html`<td>
                              ${
                                from === 'console'
                                  ? html`<form method="post" action="/console/admin/virtual/delete">
                                      ${csrfField(viewer)}
                                      <input type="hidden" name="name" value="${name}" />
                                      <button type="submit" class="danger" aria-label="Delete ${name}">
                                        Delete
                                      </button>
                                    </form>`
                                  : html`<span class="note">edit plexus.json</span>`
                              }
                            </td>`
                          : null
                      }
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
      ${
        viewer.operator
          ? html`<h2>Create a virtual server</h2>
              <form method="post" action="/console/admin/virtual" class="stack">
                ${csrfField(viewer)}
                <label
                  >Name
                  <input
                    type="text"
                    name="name"
                    id="virtual-name"
                    required
                    pattern="[a-zA-Z0-9][a-zA-Z0-9_\\-]{0,29}"
                    aria-describedby="virtual-name-hint"
                /></label>
                <p class="note" id="virtual-name-hint">
                  1-30 letters, digits, _ or -; the endpoint is /mcp/v/&lt;name&gt;.
                </p>
                <label>Description <input type="text" name="description" maxlength="200" /></label>
                ${toolChoices(ctx).map(
                  ([server, tools]) =>
                    html`<fieldset>
                      <legend>${server}</legend>
                      <div class="choices">
                        ${tools.map(
                          (tool) =>
                            html`<label class="choice"
                              ><input type="checkbox" name="tools" value="${tool.name}" />
                              <code>${tool.name}</code></label
                            >`,
                        )}
                      </div>
                    </fieldset>`,
                )}
                <div class="actions"><button type="submit" class="primary">Create</button></div>
              </form>`
          : null
      }`;
  },
};
