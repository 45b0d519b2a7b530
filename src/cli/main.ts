// The `paneward` command: one word picks the command, the rest is its own. Each command lives in commands/ and
// exports a one-line summary (for --help) and run(); the server's modules load only for `serve`.
import type { Command } from './command.ts';

type Loader = () => Promise<Command>;

const COMMANDS: Record<string, Loader> = {
  serve: async () => (await import('./commands/serve.ts')).default,
  status: async () => (await import('./commands/status.ts')).default,
  watch: async () => (await import('./commands/watch.ts')).default,
  explain: async () => (await import('./commands/explain.ts')).default,
};

async function usage(): Promise<string> {
  const lines = ['usage: paneward <command> [options]', '', 'commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(9)} ${(await load()).summary}`);
  lines.push(
    '',
    'Run `paneward <command> --help` for its options. Clients talk to PANEWARD_URL (default http://127.0.0.1:7700)',
    'and send API_TOKEN as a bearer token when it is set.',
  );
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(await usage());
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`paneward: unknown command "${name}"\n\n${await usage()}`);
    return 2;
  }
  return (await load()).run(rest);
}

process.exitCode = await main(process.argv.slice(2));
