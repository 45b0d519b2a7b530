// npm run bench -- <tmux|cycle> [options]: speed checks, each against a baseline in the same run.
import { runCycleBench } from './cycle.ts';
import { runTmuxBench } from './tmux.ts';

const [which, ...rest] = process.argv.slice(2);
const benches: Record<string, (argv: string[]) => Promise<void>> = { tmux: runTmuxBench, cycle: runCycleBench };
const bench = which ? benches[which] : undefined;
if (!bench) {
  process.stderr.write('usage: npm run bench -- tmux --panes N [--json] | cycle --agents N --store memory|redis [--json]\n');
  process.exit(2);
}
await bench(rest);
