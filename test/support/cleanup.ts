/**
 * Runs every cleanup step of a test file, each even when one before it throws, so that no daemon or folder outlives
 * the file; then throws what failed, all of it.
 */
export async function cleanUp(what: string, steps: readonly (() => Promise<void> | void)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `cleaning up after ${what} failed`);
}
