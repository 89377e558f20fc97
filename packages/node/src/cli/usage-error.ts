/**
 * A mistake in how the CLI was called (a bad flag, a bad value, a missing file):
 * the CLI prints its message and exits with status 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
