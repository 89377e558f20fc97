/**
 * A mistake in how the CLI was called (a bad flag, a bad value, a missing file):
 * the CLI prints its message and exits with status 2.
 */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
  /** Whether pointing at `--help` helps (not for a refused resume, say). */
  readonly showHelp: boolean;

  constructor(message: string, options: { showHelp?: boolean } = {}) {
    super(message);
    this.showHelp = options.showHelp ?? true;
  }
}
