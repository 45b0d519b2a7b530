// The `paneward` command: `paneward <command> …` runs src/cli/commands/<command>.ts. Each command is loaded only
// when asked for, so `paneward hook` (run by agents on every event) loads nothing but itself.
export interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

const COMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  hook: () => import('./commands/hook.ts'),
  hooks: () => import('./commands/hooks.ts'),
};

async function usage(): Promise<string> {
  const lines = ['usage: paneward <command> [args]', '', 'commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${(await load()).default.summary}`);
  return `${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(await usage());
    return name === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    process.stderr.write(`paneward: unknown command '${name}'\n${await usage()}`);
    return 2;
  }
  return (await load()).default.run(args);
}
