// npm run bench -- <tmux|cycle|ab|soak|events|hooks|webhooks|redact|board|loopback> [options]: speed checks, each against a baseline in the same run.
import { runAbBench } from './ab.ts';
import { runBoardBench } from './board.ts';
import { runCycleBench } from './cycle.ts';
import { runEventsBench } from './events.ts';
import { runHooksBench } from './hooks.ts';
import { runLoopbackBench } from './loopback.ts';
import { runRedactBench } from './redact.ts';
import { runSoakBench } from './soak.ts';
import { runTmuxBench } from './tmux.ts';
import { runWebhooksBench } from './webhooks.ts';

const [which, ...rest] = process.argv.slice(2);
const benches: Record<string, (argv: string[]) => Promise<void>> = {
  tmux: runTmuxBench,
  cycle: runCycleBench,
  ab: runAbBench,
  soak: runSoakBench,
  events: runEventsBench,
  hooks: runHooksBench,
  webhooks: runWebhooksBench,
  redact: runRedactBench,
  board: runBoardBench,
  loopback: runLoopbackBench,
};
const bench = which ? benches[which] : undefined;
if (!bench) {
  process.stderr.write(
    'usage: npm run bench -- tmux --panes N [--json] | cycle --agents N --store memory|redis [--json] | ' +
      'ab --base DIR [--agents N] [--json] | soak [--agents N] [--minutes M] [--json] | ' +
      'events --agents N --clients C [--cycles K] [--encoding identity|gzip] [--json] | hooks [--agents N] [--rate R] [--seconds S] [--json] | ' +
      'webhooks [--deliveries N] [--rate R] [--json] | redact [--json] | board --agents N [--loads K] [--json] | loopback [--clients N] [--rounds K] [--json]\n',
  );
  process.exit(2);
}
await bench(rest);
