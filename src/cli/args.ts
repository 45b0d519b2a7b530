// Argument parsing shared by the commands: node's parseArgs, the agent filters of GET /v1/agents, and usage
// errors that name the option.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AGENT_KINDS, AGENT_STATES } from '../agents/model.ts';
import { reportingErrors, UsageError, type Command } from './command.ts';

/** The filters of GET /v1/agents and /v1/events, as options. */
export const FILTER_OPTIONS = {
  state: { type: 'string' },
  kind: { type: 'string' },
  session: { type: 'string' },
  monitor: { type: 'string' },
} as const;

export const FILTER_HELP = `  --state S       only agents in state S (${AGENT_STATES.join(', ')})
  --kind K        only agents of kind K (${AGENT_KINDS.join(', ')})
  --session NAME  only agents in tmux session NAME
  --monitor ID    only agents seen by monitor ID`;

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs, with a UsageError for a bad option and for a state or kind that does not exist. */
export function parseCommandArgs<O extends Options>(args: string[], options: O, allowPositionals = false) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Record<string, unknown>;
  checkOneOf('--state', values.state, AGENT_STATES);
  checkOneOf('--kind', values.kind, AGENT_KINDS);
  return parsed;
}

function checkOneOf(option: string, value: unknown, allowed: readonly string[]): void {
  if (typeof value === 'string' && !allowed.includes(value)) throw new UsageError(`${option} ${value}: not one of ${allowed.join(', ')}`);
}

/** The filter options that were given, as query fields. */
export function filterOf(values: { state?: string; kind?: string; session?: string; monitor?: string }): Record<string, string | undefined> {
  return { state: values.state, kind: values.kind, session: values.session, monitor: values.monitor };
}

/**
 * A command whose arguments are `options` (which include `help`): parsed, `--help` printing `help`, usage errors
 * and unreachable servers reported in one line, then `run` with what was parsed.
 */
export function commandWithOptions<O extends Options>(spec: {
  summary: string;
  help: string;
  options: O;
  positionals?: boolean;
  run(parsed: ReturnType<typeof parseCommandArgs<O>>): Promise<number>;
}): Command {
  return {
    summary: spec.summary,
    run: (args) =>
      reportingErrors(spec.help, async () => {
        const parsed = parseCommandArgs(args, spec.options, spec.positionals);
        if ((parsed.values as { help?: boolean }).help) {
          process.stdout.write(spec.help);
          return 0;
        }
        return spec.run(parsed);
      }),
  };
}
