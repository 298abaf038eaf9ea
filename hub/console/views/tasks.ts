import { html } from '../../oauth/html.ts';
import { badge, live } from './format.ts';
import type { View } from './view.ts';

/** The network's tasks by state, with how many were re-dispatched to another agent. */
export const tasksView: View = {
  title: () => 'Tasks',
  regions: ({ snapshot }) => {
    const tasks = snapshot.tasks;
    if (!tasks) return { tasks: html`<p>No registry is mounted, or it did not answer.</p>` };
    return {
      tasks: html`<table>
        <caption>
          ${tasks.total} task(s) in all
        </caption>
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Tasks</th>
            <th scope="col">Re-dispatched</th>
          </tr>
        </thead>
        <tbody>
          ${tasks.states.map(
            (s) =>
              html`<tr>
                <th scope="row">${badge(s.state)}</th>
                <td id="tasks-${s.state}">${s.tasks}</td>
                <td>${s.redispatched}</td>
              </tr>`,
          )}
        </tbody>
      </table>`,
    };
  },
  body: (_ctx, regions) =>
    html`<h1>Tasks</h1>
      <p>
        A task is re-dispatched when its agent went offline or missed its deadline and the registry gave it to
        another one.
      </p>
      ${live('tasks', regions['tasks'] ?? html``)}`,
};
