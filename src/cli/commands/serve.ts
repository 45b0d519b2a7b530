// `paneward serve`: run the server (what `npm start` runs), configured from the environment.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describeSettings } from '../../config.ts';
import { reportingErrors, UsageError, type Command } from '../command.ts';

function help(): string {
  const settings = describeSettings();
  const width = Math.max(...settings.map((s) => s.name.length));
  const lines = settings.map((s) => `  ${s.name.padEnd(width)}  ${s.description}${s.default === null ? '' : ` (default: ${s.default})`}`);
  return [
    'usage: paneward serve',
    '',
    'Runs the paneward server: polls tmux, classifies every pane, serves the API, the board and /metrics.',
    'Every setting comes from an environment variable:',
    '',
    ...lines,
    '',
  ].join('\n');
}

/**
 * The loop collects young garbage between cycles when it can call gc() (see src/loop/idle-gc.ts). `npm start` passes
 * --expose-gc; an installed `paneward serve` cannot pass node flags, so it exposes gc the way the flag would.
 */
function exposeGc(): void {
  if (typeof (globalThis as { gc?: unknown }).gc === 'function') return;
  setFlagsFromString('--expose-gc');
  (globalThis as { gc?: unknown }).gc = runInNewContext('gc');
}

const serve: Command = {
  summary: 'run the server (settings from the environment: see serve --help)',
  run: (args) =>
    reportingErrors(help(), async () => {
      if (args.includes('--help') || args.includes('-h')) {
        process.stdout.write(help());
        return 0;
      }
      if (args.length > 0) throw new UsageError(`serve takes no arguments (settings come from the environment): ${args.join(' ')}`);
      exposeGc();
      await import('../../server.ts');
      return 0;
    }),
};
export default serve;
