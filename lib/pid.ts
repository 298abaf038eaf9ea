/**
 * Whether a process with this pid runs and is this user's (signal 0 checks without sending anything; another
 * user's process, EPERM, counts as not running: a reused pid, not the process a pid file names).
 */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
