import { html } from '../../oauth/html.ts';
import { ago, live, millis } from './format.ts';
import type { View } from './view.ts';

/**
 * The sandbox the hub mounts (`servers.sandbox`): its pool of worker processes running isolates, the calls
 * waiting for one, and each sandboxed tool's calls, errors and wall-time quantiles, as the sandbox counts them.
 */
export const sandboxView: View = {
  title: () => 'Sandbox',
  regions: ({ snapshot }) => {
    const stats = snapshot.sandbox;
    if (stats === 'none') {
      return {
        pool: html`<p id="sandbox-none">
          No sandbox is mounted in this hub. Agents run their own; to run sandboxed tools here, add
          <code>"sandbox": {"toolsDir": "./tools"}</code> to <code>servers</code> in plexus.json.
        </p>`,
        tools: html``,
      };
    }
    if (stats === null) return { pool: html`<p>The sandbox did not answer.</p>`, tools: html`` };
    const errors = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
    return {
      pool: html`<dl class="cards">
        <div>
          <dt>Workers in use</dt>
          <dd id="sandbox-busy">${stats.busy}</dd>
          <dd class="note">of ${stats.workers} worker processes</dd>
        </div>
        <div>
          <dt>Idle</dt>
          <dd id="sandbox-idle">${stats.idle}</dd>
        </div>
        <div>
          <dt>Calls queued</dt>
          <dd id="sandbox-queued">${stats.queued}</dd>
          <dd class="note">refused as busy past ${stats.maxQueue}</dd>
        </div>
      </dl>`,
      tools: html`<table>
          <caption>
            ${stats.tools.length} sandboxed tool(s) (p50 and p99 over each tool's last 256 calls)
          </caption>
          <thead>
            <tr>
              <th scope="col">Tool</th>
              <th scope="col">Version</th>
              <th scope="col">Calls</th>
              <th scope="col">Errors</th>
              <th scope="col">p50</th>
              <th scope="col">p99</th>
              <th scope="col">Cold starts</th>
              <th scope="col">Last call</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            ${stats.tools.map(
              (tool) =>
                html`<tr data-tool="${tool.name}">
                  <th scope="row">${tool.name}</th>
                  <td>${tool.version}</td>
                  <td>${tool.calls}</td>
                  <td>${errors(tool.errors)}</td>
                  <td>${millis(tool.p50WallMs)}</td>
                  <td>${millis(tool.p99WallMs)}</td>
                  <td>${tool.coldStarts}</td>
                  <td>${tool.lastCallAt === null ? '–' : ago(tool.lastCallAt, snapshot.at)}</td>
                  <td class="wrap">
                    ${tool.lastError ? `${tool.lastError.code}: ${tool.lastError.message}` : ''}
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
        ${
          stats.failures.length === 0
            ? null
            : html`<h2>Packages refused</h2>
                <ul>
                  ${stats.failures.map((f) => html`<li><code>${f.dir}</code>: ${f.code} — ${f.message}</li>`)}
                </ul>`
        }`,
    };
  },
  body: (_ctx, regions) =>
    html`<h1>Sandbox</h1>
      <p>
        Sandboxed tools run in isolated-vm isolates inside a small pool of worker processes; a call waits in
        the queue while every worker is in use, and is refused as busy past its bound.
      </p>
      <h2>Pool</h2>
      ${live('pool', regions['pool'] ?? html``)}
      <h2>Tools</h2>
      ${live('tools', regions['tools'] ?? html``)}`,
};
