import { html, type Html } from '../../oauth/html.ts';
import type { GrantRecord, OAuthStore, UserRecord } from '../../oauth/store.ts';
import { csrfField, notice, type Viewer } from '../layout.ts';
import { dateTime, did } from './format.ts';
import type { View } from './view.ts';

/** The hub's users and what the console needs to show them: the apps each approved. */
export interface UsersData {
  users: UserRecord[];
  grants: Map<string, GrantRecord[]>;
}

export async function loadUsers(store: OAuthStore, now: number): Promise<UsersData> {
  const users = await store.listUsers();
  const grants = new Map<string, GrantRecord[]>();
  for (const user of users) grants.set(user.name, await store.listGrants(user.name, now));
  return { users, grants };
}

function roleOf(user: UserRecord): string {
  return user.scopes.includes('admin') ? 'operator' : user.scopes.join(', ');
}

function appsOf(viewer: Viewer, user: UserRecord, grants: GrantRecord[]): Html {
  const byClient = new Map<string, GrantRecord>();
  for (const grant of grants) byClient.set(grant.clientId, grant);
  if (byClient.size === 0) return html`<span class="note">none</span>`;
  return html`<ul class="plain">
    ${[...byClient.values()].map(
      (grant) =>
        html`<li>
          ${grant.clientName} <span class="note">(${grant.scopes.join(', ')})</span>
          <form method="post" action="/console/admin/users/revoke-app" class="inline">
            ${csrfField(viewer)}
            <input type="hidden" name="user" value="${user.name}" />
            <input type="hidden" name="client_id" value="${grant.clientId}" />
            <button type="submit" aria-label="Revoke ${grant.clientName} for ${user.name}">Revoke</button>
          </form>
        </li>`,
    )}
  </ul>`;
}

const ROLE_CHOICES = html`<select name="role">
  <option value="user" selected>user (read, write)</option>
  <option value="reader">reader (read)</option>
  <option value="operator">operator (read, write, admin)</option>
</select>`;

/** Users, the apps they approved, and operator tokens: operators only. */
export function usersView(data: UsersData): View {
  return {
    title: () => 'Users & tokens',
    operator: true,
    regions: () => ({}),
    body: ({ viewer, query, settings }) => {
      const revoked = Object.entries(settings.data.revoked);
      return html`<h1>Users &amp; tokens</h1>
        ${notice(query)}
        <h2>Users</h2>
        <table>
          <caption>
            People who sign in to the hub (consent page, console)
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Identity</th>
              <th scope="col">Added</th>
              <th scope="col">Apps approved</th>
              <th scope="col">New password</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            ${data.users.map(
              (user) =>
                html`<tr>
                  <th scope="row">${user.name}</th>
                  <td>${roleOf(user)}</td>
                  <td>${did(user.did)}</td>
                  <td>${dateTime(user.createdAt)}</td>
                  <td>${appsOf(viewer, user, data.grants.get(user.name) ?? [])}</td>
                  <td>
                    <form method="post" action="/console/admin/users/password" class="inline">
                      ${csrfField(viewer)}
                      <input type="hidden" name="name" value="${user.name}" />
                      <label
                        ><span class="visually-hidden">New password for ${user.name}</span>
                        <input
                          type="password"
                          name="password"
                          autocomplete="new-password"
                          minlength="8"
                          required
                      /></label>
                      <button type="submit">Set</button>
                    </form>
                  </td>
                  <td>
                    ${
                      user.name === viewer.user.name
                        ? html`<span class="note">you</span>`
                        : html`<form method="post" action="/console/admin/users/remove">
                            ${csrfField(viewer)}
                            <input type="hidden" name="name" value="${user.name}" />
                            <button type="submit" class="danger" aria-label="Remove ${user.name}">
                              Remove
                            </button>
                          </form>`
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
        <h3>Add a user</h3>
        <form method="post" action="/console/admin/users/add" class="stack">
          ${csrfField(viewer)}
          <label
            >User name <input type="text" name="name" required autocomplete="off" autocapitalize="none"
          /></label>
          <label
            >Password
            <input type="password" name="password" minlength="8" required autocomplete="new-password"
          /></label>
          <label>Role ${ROLE_CHOICES}</label>
          <div class="actions"><button type="submit" class="primary">Add user</button></div>
        </form>

        <h2>Operator tokens</h2>
        <p>
          A bearer token for a person or a script acting as an operator (subject
          <code>operator:&lt;name&gt;</code>). It is shown once.
        </p>
        <form method="post" action="/console/admin/tokens/create" class="stack">
          ${csrfField(viewer)}
          <label>Name <input type="text" name="name" required pattern="[a-zA-Z0-9._@\\-]{1,64}" /></label>
          <fieldset>
            <legend>Scopes</legend>
            <label class="choice"><input type="checkbox" name="scopes" value="read" checked /> read</label>
            <label class="choice"><input type="checkbox" name="scopes" value="write" checked /> write</label>
            <label class="choice"><input type="checkbox" name="scopes" value="admin" /> admin</label>
          </fieldset>
          <label
            >Lifetime in days <input type="number" name="days" min="1" max="90" value="30" required
          /></label>
          <div class="actions"><button type="submit" class="primary">Create token</button></div>
        </form>
        <h3>Revoke a token or an identity</h3>
        <form method="post" action="/console/admin/revoke" class="stack">
          ${csrfField(viewer)}
          <input type="hidden" name="from" value="users" />
          <label
            >Subject <span class="note">(operator:&lt;name&gt; or a did:key)</span>
            <input type="text" name="subject" required
          /></label>
          <label
            >Reason <span class="note">(needed for a did:key, which is revoked in the whole network)</span>
            <input type="text" name="reason" maxlength="200"
          /></label>
          <div class="actions"><button type="submit" class="danger">Revoke</button></div>
        </form>
        ${
          revoked.length === 0
            ? null
            : html`<table>
                <caption>
                  Operator tokens revoked at this hub
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Subject</th>
                    <th scope="col">By</th>
                    <th scope="col">When</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  ${revoked.map(
                    ([subject, r]) =>
                      html`<tr>
                        <td>${subject}</td>
                        <td>${r.by}</td>
                        <td>${dateTime(r.at)}</td>
                        <td>${r.reason ?? ''}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }`;
    },
  };
}
