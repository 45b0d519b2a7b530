// What every `paneward` command provides, and the one way they report a usage error.
export interface Command {
  /** One line for `paneward --help`. */
  summary: string;
  /** Runs with the arguments after the command's name; resolves to the exit code. */
  run(args: string[]): Promise<number>;
}

/** A usage mistake: printed with the command's help, exit code 2. */
export class UsageError extends Error {}

/** Runs `body`, turning a UsageError or an unreachable server into one line on stderr and an exit code. */
export async function reportingErrors(help: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`paneward: ${err.message}\n\n${help}`);
      return 2;
    }
    process.stderr.write(`paneward: ${(err as Error).message}\n`);
    return 1;
  }
}
