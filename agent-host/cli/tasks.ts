// `plexus tasks dispatch|list|get|cancel`: tasks handed to agents through the registry, as the agent in --dir.
import { runVerbs } from '../../lib/cli/errors.ts';
import { durationFlag, intFlag, jsonFlag, parseFlags, usageError } from '../../lib/cli/flags.ts';
import { fields, printer, table } from '../../lib/cli/output.ts';
import { parseOrThrow } from '../../schemas/common.ts';
import {
  CancelTaskInput,
  DispatchTaskInput,
  GetTaskInput,
  ListTasksInput,
  MAX_PAGE,
  type TaskView,
} from '../../schemas/registry/tools.ts';
import { MAX_TASK_ATTEMPTS, TERMINAL_TASK_STATES, TaskState } from '../../schemas/task.ts';
import { resolveDidOf } from '../recipient.ts';
import { CONNECT_FLAGS, withHub } from './connect.ts';

const USAGE = `usage: plexus tasks <verb> [--dir DIR] [--hub URL] [--json]

  dispatch --capability C [--input JSON] [--deadline 10m] [--prefer <name|did> …] [--attempts N]
           [--wait [--timeout 5m]]   hand a task to an online agent with the capability; --wait follows it
                                     until it ends (completed, failed, canceled, rejected)
  list     [--role requester|assignee] [--state S …] [--capability C] [--limit N] [--cursor C]
                                     tasks this agent asked for (or, with --role assignee, holds)
  get      <id>                      one task: state, assignee, result or error, history
  cancel   <id> [--reason R]         cancel a task this agent asked for

Tasks are asked for and held by an agent: the one in --dir (default ./agent). --input takes JSON; text
that is not JSON is sent as a string.`;

/** The registry's fields, as the flags and arguments that set them. */
const FLAGS = {
  capability: '--capability',
  input: '--input',
  deadline: '--deadline',
  preferred_agents: '--prefer',
  max_attempts: '--attempts',
  role: '--role',
  states: '--state',
  state: '--state',
  limit: '--limit',
  cursor: '--cursor',
  id: '<id>',
  reason: '--reason',
  /** A --prefer that is a malformed DID or an unknown name. */
  to: '--prefer',
};

function when(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function renderList(tasks: readonly TaskView[]): string {
  return table(
    tasks,
    [
      { header: 'id', value: (t) => t.id },
      { header: 'state', value: (t) => t.state },
      { header: 'capability', value: (t) => t.capability },
      { header: 'assignee', value: (t) => t.assignee },
      { header: 'updated', value: (t) => when(t.updated_at) },
    ],
    '(no tasks)',
  );
}

function renderTask(task: TaskView): string {
  const head = fields([
    ['id', task.id],
    ['state', task.state],
    ['capability', task.capability],
    ['requester', task.requester],
    ['assignee', task.assignee],
    ['attempts', `${task.attempts} of ${task.max_attempts}`],
    ['deadline', when(task.deadline)],
    ['message', task.message],
    ['input', JSON.stringify(task.input)],
    ['result', task.result === null ? null : JSON.stringify(task.result)],
    ['error', task.error ? `${task.error.code}: ${task.error.message}` : null],
  ]);
  const history = table(task.history, [
    { header: 'at', value: (h) => when(h.at) },
    { header: 'state', value: (h) => h.state },
    { header: 'by', value: (h) => h.by },
    { header: 'note', value: (h) => h.note },
  ]);
  return `${head}\n\n${history}`;
}

/** The one `<id>` argument of get and cancel. */
function idOf(positionals: string[]): string {
  if (positionals.length !== 1)
    throw usageError(positionals.length === 0 ? 'the task <id> is missing' : 'give one task <id>');
  return parseOrThrow(GetTaskInput, { id: positionals[0] }).id;
}

/** How often `--wait` asks for the task's state. */
const WAIT_POLL_MS = 500;

async function dispatch(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    ...CONNECT_FLAGS,
    capability: { type: 'string' },
    input: { type: 'string' },
    deadline: { type: 'string' },
    prefer: { type: 'string', multiple: true },
    attempts: { type: 'string' },
    wait: { type: 'boolean' },
    timeout: { type: 'string' },
  });
  if (values.capability === undefined) throw usageError('--capability is required: what the task needs');
  if (values.timeout !== undefined && !values.wait) throw usageError('--timeout goes with --wait');
  const deadline =
    values.deadline === undefined ? undefined : Date.now() + durationFlag('deadline', values.deadline) * 1000;
  const waitUntil =
    values.timeout === undefined ? Infinity : Date.now() + durationFlag('timeout', values.timeout) * 1000;
  const draft = {
    capability: values.capability,
    input: values.input === undefined ? {} : jsonFlag(values.input),
    deadline,
    max_attempts: intFlag('attempts', values.attempts, { min: 1, max: MAX_TASK_ATTEMPTS }),
  };
  const checked = parseOrThrow(DispatchTaskInput, draft);
  const task = await withHub(
    values,
    async ({ session }) => {
      const { registry } = session.servers;
      const preferred = await Promise.all((values.prefer ?? []).map((to) => resolveDidOf(registry, to)));
      let { task } = await registry.dispatchTask({
        ...checked,
        ...(preferred.length > 0 ? { preferred_agents: preferred } : {}),
      });
      while (values.wait && !TERMINAL_TASK_STATES.includes(task.state) && Date.now() < waitUntil) {
        await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
        ({ task } = await registry.getTask({ id: task.id }));
      }
      return task;
    },
    'agent',
  );
  printer(values.json).result({ task }, () => renderTask(task));
  // --wait: the exit code says how it ended (0 completed, 1 anything else, the timeout included).
  return values.wait && task.state !== 'completed' ? 1 : 0;
}

async function list(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    ...CONNECT_FLAGS,
    role: { type: 'string' },
    state: { type: 'string', multiple: true },
    capability: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
  });
  const input = parseOrThrow(ListTasksInput, {
    role: values.role,
    states: values.state?.map((s) => parseOrThrow(TaskState, s, 'state')),
    capability: values.capability,
    cursor: values.cursor,
    limit: intFlag('limit', values.limit, { min: 1, max: MAX_PAGE }),
  });
  const found = await withHub(values, ({ session }) => session.servers.registry.listTasks(input), 'agent');
  printer(values.json).result(found, () =>
    found.cursor ? `${renderList(found.tasks)}\n(more: --cursor ${found.cursor})` : renderList(found.tasks),
  );
  return 0;
}

async function get(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, CONNECT_FLAGS, true);
  const id = idOf(positionals);
  const { task } = await withHub(values, ({ session }) => session.servers.registry.getTask({ id }), 'agent');
  printer(values.json).result({ task }, () => renderTask(task));
  return 0;
}

async function cancel(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { ...CONNECT_FLAGS, reason: { type: 'string' } }, true);
  const input = parseOrThrow(CancelTaskInput, { id: idOf(positionals), reason: values.reason });
  const { task } = await withHub(
    values,
    ({ session }) => session.servers.registry.cancelTask(input),
    'agent',
  );
  printer(values.json).result({ task }, () => `canceled ${task.id} (${task.capability})`);
  return 0;
}

export function run(argv: string[]): Promise<number> {
  return runVerbs('plexus tasks', USAGE, { dispatch, list, get, cancel }, argv, FLAGS);
}
