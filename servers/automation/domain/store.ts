import type { Schedule, Workflow, WorkflowRun } from '../../../schemas/automation/tools.ts';

export interface StoredWorkflow {
  workflow: Workflow;
  createdBy: string;
  updatedAt: number;
}

export interface AutomationStore {
  /** Creates or replaces a workflow; returns whether it existed before. */
  putWorkflow(workflow: Workflow, by: string, now: number): boolean;
  getWorkflow(name: string): StoredWorkflow | null;
  listWorkflows(): StoredWorkflow[];
  /** Deletes the workflow, its schedule and its runs; false when there was none. */
  deleteWorkflow(name: string): boolean;
  setSchedule(schedule: Schedule): void;
  clearSchedule(workflow: string): boolean;
  getSchedule(workflow: string): Schedule | null;
  listSchedules(): Schedule[];
  /** Records a run and keeps only the newest `keep` runs of that workflow. */
  recordRun(run: WorkflowRun, keep: number): void;
  listRuns(workflow: string | undefined, limit: number): WorkflowRun[];
  close(): void;
}
