// npm run bench -- <tmux|cycle|ab|soak|events> [options]: speed checks, each against a baseline in the same run.
import { runAbBench } from './ab.ts';
import { runCycleBench } from './cycle.ts';
import { runEventsBench } from './events.ts';
import { runSoakBench } from './soak.ts';
import { runTmuxBench } from './tmux.ts';

const [which, ...rest] = process.argv.slice(2);
const benches: Record<string, (argv: string[]) => Promise<void>> = { tmux: runTmuxBench, cycle: runCycleBench, ab: runAbBench, soak: runSoakBench, events: runEventsBench };
const bench = which ? benches[which] : undefined;
if (!bench) {
  process.stderr.write('usage: npm run bench -- tmux --panes N [--json] | cycle --agents N --store memory|redis [--json] | ab --base DIR [--agents N] [--json] | soak [--agents N] [--minutes M] [--json] | events --agents N --clients C [--cycles K] [--json]\n');
  process.exit(2);
}
await bench(rest);
