import { PlexusError } from '../../../lib/errors.ts';
import type { Logger } from '../../../lib/log.ts';
import type { JsonValue } from '../../../schemas/common.ts';
import type {
  AutomationSettings,
  Schedule,
  Workflow,
  WorkflowRun,
} from '../../../schemas/automation/tools.ts';
import { runWorkflow, type ToolInvoker } from './runner.ts';
import { Scheduler } from './scheduler.ts';
import type { AutomationStore, StoredWorkflow } from './store.ts';

export interface AutomationDeps {
  store: AutomationStore;
  invoker: ToolInvoker;
  settings: AutomationSettings;
  now: () => number;
  log: Logger;
}

/** Named workflows: stored definitions, on-demand and scheduled runs, and their history. */
export class Automation {
  readonly #deps: AutomationDeps;
  readonly #scheduler: Scheduler;

  constructor(deps: AutomationDeps) {
    this.#deps = deps;
    this.#scheduler = new Scheduler((s) => this.#scheduledRun(s), deps.now, deps.log);
    for (const schedule of deps.store.listSchedules()) this.#scheduler.arm(schedule);
  }

  save(workflow: Workflow, by: string): { replaced: boolean } {
    return { replaced: this.#deps.store.putWorkflow(workflow, by, this.#deps.now()) };
  }

  get(name: string): StoredWorkflow {
    const stored = this.#deps.store.getWorkflow(name);
    if (!stored)
      throw new PlexusError('not_found', 'workflow_not_found', `no workflow named '${name}'`, {
        hint: 'list_workflows shows them',
      });
    return stored;
  }

  list(): StoredWorkflow[] {
    return this.#deps.store.listWorkflows();
  }

  delete(name: string): void {
    this.get(name);
    this.#scheduler.disarm(name);
    this.#deps.store.deleteWorkflow(name);
  }

  async run(
    name: string,
    input: JsonValue,
    trigger: WorkflowRun['trigger'],
    signal?: AbortSignal,
  ): Promise<WorkflowRun> {
    const { workflow } = this.get(name);
    const run = await runWorkflow(workflow, input, this.#deps.invoker, {
      trigger,
      now: this.#deps.now,
      ...(signal ? { signal } : {}),
    });
    this.#deps.store.recordRun(run, this.#deps.settings.keep_runs);
    return run;
  }

  schedule(name: string, everySeconds: number, input: JsonValue): Schedule {
    this.get(name);
    const min = this.#deps.settings.min_interval_seconds;
    if (everySeconds < min) {
      throw new PlexusError('invalid', 'interval_too_short', `every_seconds: must be at least ${min}`, {
        field: 'every_seconds',
      });
    }
    const schedule: Schedule = {
      workflow: name,
      every_seconds: everySeconds,
      input,
      next_run_at: this.#deps.now() + everySeconds * 1000,
    };
    this.#deps.store.setSchedule(schedule);
    this.#scheduler.arm(schedule);
    return schedule;
  }

  unschedule(name: string): boolean {
    this.#scheduler.disarm(name);
    return this.#deps.store.clearSchedule(name);
  }

  schedules(): Schedule[] {
    return this.#deps.store.listSchedules();
  }

  runs(workflow: string | undefined, limit: number): WorkflowRun[] {
    return this.#deps.store.listRuns(workflow, limit);
  }

  close(): void {
    this.#scheduler.close();
  }

  /** One scheduled run; returns the next schedule, or null when the schedule was removed meanwhile. */
  async #scheduledRun(schedule: Schedule): Promise<Schedule | null> {
    if (!this.#deps.store.getSchedule(schedule.workflow)) return null;
    const run = await this.run(schedule.workflow, schedule.input, 'schedule');
    this.#deps.log.info(
      { workflow: run.workflow, status: run.status, run: run.id },
      'scheduled workflow ran',
    );
    const current = this.#deps.store.getSchedule(schedule.workflow);
    if (!current) return null;
    const next = { ...current, next_run_at: this.#deps.now() + current.every_seconds * 1000 };
    this.#deps.store.setSchedule(next);
    return next;
  }
}
