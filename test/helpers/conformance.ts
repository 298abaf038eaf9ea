/**
 * Runs `@modelcontextprotocol/conformance` against a server URL at one protocol revision (or a client command
 * against one of its scenario servers) and reads back what it found, per scenario and check.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { z } from 'zod';

const run = promisify(execFile);
const PACKAGE = path.resolve(import.meta.dirname, '../../node_modules/@modelcontextprotocol/conformance');
const CLI = path.join(PACKAGE, 'dist/index.js');

export const REVISIONS = ['2025-11-25', '2026-07-28'] as const;
export type Revision = (typeof REVISIONS)[number];

type Status = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'SKIPPED';
/** A check id can repeat within a scenario; its occurrences collapse to the most severe status. */
const SEVERITY: Record<Status, number> = { SKIPPED: 0, SUCCESS: 1, WARNING: 2, FAILURE: 3 };

const RequirementSet = z.object({
  server: z.array(z.string()),
  not_scored: z.array(z.object({ scenario: z.string(), leg: z.string(), reason: z.string() })),
});

/** The server scenarios a revision requires (scored) and those it runs for visibility only, frozen at its release. */
export function requirements(revision: Revision): { scored: string[]; unscored: string[] } {
  const set = RequirementSet.parse(
    parse(fs.readFileSync(path.join(PACKAGE, 'requirements', `${revision}.yaml`), 'utf8')),
  );
  return {
    scored: set.server,
    unscored: set.not_scored.filter((entry) => entry.leg === 'server').map((entry) => entry.scenario),
  };
}

export interface ConformanceRun {
  revision: Revision;
  /** scenario → check id → status, for every server scenario the revision runs (INFO checks left out). */
  scenarios: Map<string, Map<string, Status>>;
  scored: string[];
  unscored: string[];
  /** `scenario/check` of checks the suite could not exercise (it marks them untestable: its own tools missing). */
  untestable: Set<string>;
  /** The CLI's own report, for failure messages. */
  output: string;
  ms: number;
}

/**
 * Every server scenario of `revision`'s requirement set, at that revision's wire. The suite's own checks wait
 * 0.8–1.5 s for stream frames, which a busy machine can miss: a scenario of `judged` (default: the scored ones)
 * with a failing check is run once more on its own, and that second result counts (a real failure fails again).
 */
export async function runConformance(
  url: string,
  revision: Revision,
  outDir: string,
  judged: readonly string[] = requirements(revision).scored,
): Promise<ConformanceRun> {
  const started = performance.now();
  const { scored, unscored } = requirements(revision);
  const first = await runServerCli(url, ['--requirements', revision], outDir);
  const scenarios = new Map(first.scenarios);
  const untestable = new Set(first.untestable);
  for (const scenario of judged.filter((name) => failed(first.scenarios.get(name)))) {
    const again = await runServerCli(
      url,
      ['--scenario', scenario, '--spec-version', revision],
      `${outDir}-again-${scenario.replaceAll('/', '_')}`,
    );
    scenarios.set(scenario, again.scenarios.get(scenario) ?? new Map<string, Status>());
    for (const id of untestable) if (id.startsWith(`${scenario}/`)) untestable.delete(id);
    for (const id of again.untestable) untestable.add(id);
  }
  const ms = performance.now() - started;
  return { revision, scenarios, scored, unscored, untestable, output: first.output, ms };
}

const failed = (checks: Map<string, Status> | undefined): boolean =>
  !checks || [...checks.values()].some((status) => status === 'FAILURE' || status === 'WARNING');

/** One CLI invocation of the server suite with `args`, read back from its output folder. */
async function runServerCli(
  url: string,
  args: string[],
  outDir: string,
): Promise<Pick<ConformanceRun, 'scenarios' | 'untestable' | 'output'>> {
  // The CLI exits non-zero when a scored scenario fails; the per-check results are what the tests judge.
  const { stdout } = await run(process.execPath, [CLI, 'server', '--url', url, ...args, '-o', outDir], {
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: Error & { stdout?: string }) => ({ stdout: error.stdout || error.message }));
  const scenarios = new Map<string, Map<string, Status>>();
  const untestable = new Set<string>();
  for (const dir of fs.existsSync(outDir) ? fs.readdirSync(outDir) : []) {
    const scenario = /^server-(.+)-\d{4}-\d\d-\d\dT/.exec(dir)?.[1];
    const file = path.join(outDir, dir, 'checks.json');
    if (!scenario || !fs.existsSync(file)) continue;
    const { statuses, untestable: ids } = readChecks(file);
    for (const id of ids) untestable.add(`${scenario}/${id}`);
    scenarios.set(scenario, statuses);
  }
  return { scenarios, untestable, output: stdout };
}

/**
 * One scenario's checks.json: check id → its most severe status (INFO checks left out), and the ids of checks
 * the suite marked untestable.
 */
function readChecks(file: string): { statuses: Map<string, Status>; untestable: string[] } {
  const checks = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    id: string;
    status: Status | 'INFO';
    details?: { untestable?: unknown };
  }[];
  const statuses = new Map<string, Status>();
  const untestable: string[] = [];
  for (const { id, status, details } of checks) {
    if (status === 'INFO') continue;
    if (details?.untestable === true) untestable.push(id);
    const seen = statuses.get(id);
    if (!seen || SEVERITY[status] > SEVERITY[seen]) statuses.set(id, status);
  }
  return { statuses, untestable };
}

export interface ClientConformanceRun {
  /** check id → status; empty when the scenario never ran. */
  checks: Map<string, Status>;
  /** The CLI's exit code: 0 when no check failed. */
  code: number;
  /** The CLI's own report, for failure messages. */
  output: string;
}

/**
 * One client scenario: the suite starts its scenario server and runs `command` with the server's URL appended
 * (and MCP_CONFORMANCE_SCENARIO, MCP_CONFORMANCE_PROTOCOL_VERSION set), then judges what the client sent.
 */
export async function runClientConformance(
  command: string,
  scenario: string,
  revision: Revision,
  outDir: string,
): Promise<ClientConformanceRun> {
  const args = ['client', '--command', command, '--scenario', scenario, '--spec-version', revision];
  const { stdout, code } = await run(process.execPath, [CLI, ...args, '-o', outDir], {
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    ({ stdout }) => ({ stdout, code: 0 }),
    (error: Error & { stdout?: string; code?: number }) => ({
      stdout: error.stdout || error.message,
      code: typeof error.code === 'number' ? error.code : 1,
    }),
  );
  const dir = fs.readdirSync(outDir).find((name) => name.startsWith(`${scenario}-`));
  const file = dir ? path.join(outDir, dir, 'checks.json') : null;
  const checks = file && fs.existsSync(file) ? readChecks(file).statuses : new Map<string, Status>();
  return { checks, code, output: stdout };
}

/** `scenario/check: STATUS` for every check of `names` that is not a success (a scenario that did not run is `missing`). */
export function problems(result: ConformanceRun, names: readonly string[]): string[] {
  return names.flatMap((scenario) => {
    const checks = result.scenarios.get(scenario);
    if (!checks || checks.size === 0) return [`${scenario}: missing`];
    return [...checks]
      .filter(([, status]) => status === 'FAILURE' || status === 'WARNING')
      .map(([id, status]) => `${scenario}/${id}: ${status}`);
  });
}

/** The scenarios among `names` with a failing check. */
export function failingScenarios(result: ConformanceRun, names: readonly string[]): string[] {
  return names.filter((scenario) =>
    [...(result.scenarios.get(scenario)?.values() ?? [])].includes('FAILURE'),
  );
}

/** E.g. `2026-07-28: 37/37 scored scenarios, checks 164/164 (unscored: 4/13 passing), 6.4 s`. */
export function summary(result: ConformanceRun): string {
  const scoredChecks = result.scored.flatMap((scenario) => [
    ...(result.scenarios.get(scenario)?.values() ?? []),
  ]);
  const judged = scoredChecks.filter((status) => status !== 'SKIPPED');
  const passedScenarios = result.scored.filter((scenario) => problems(result, [scenario]).length === 0);
  const unscoredPassing = result.unscored.length - failingScenarios(result, result.unscored).length;
  return (
    `${result.revision}: ${passedScenarios.length}/${result.scored.length} scored scenarios, ` +
    `checks ${judged.filter((status) => status === 'SUCCESS').length}/${judged.length} ` +
    `(unscored: ${unscoredPassing}/${result.unscored.length} passing), ${(result.ms / 1000).toFixed(1)} s`
  );
}

/** Every check `direct` passed that `other` did not (the same scenarios, through something in between). */
export function regressions(direct: ConformanceRun, other: ConformanceRun): string[] {
  const lost: string[] = [];
  for (const [scenario, checks] of direct.scenarios) {
    for (const [id, status] of checks) {
      if (status !== 'SUCCESS') continue;
      const otherStatus = other.scenarios.get(scenario)?.get(id) ?? 'missing';
      if (otherStatus !== 'SUCCESS') lost.push(`${scenario}/${id}: ${otherStatus}`);
    }
  }
  return lost;
}
