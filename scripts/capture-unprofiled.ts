// The walk for agent CLIs that have no profile of their own (kind `agent`): pi, grok-cli, Cline and Auggie from
// tools/agent-clis, each driven as far as it goes offline — start-up and sign-in menus, and where it takes an
// OpenAI- or Anthropic-compatible base URL, the stand-in's quick answer, slow stream and tool call.
// Called by capture-fixtures.ts (`npm run fixtures:capture -- agent`), which owns tmux, the stand-in and saving.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Mode } from '../test/standin/modes.ts';

export type Size = { width: number; height: number };

/** What capture-fixtures.ts lends this walk. */
export interface Harness {
  bin: string;
  standinUrl: string;
  setMode(mode: Mode): void;
  freshDirs(label: string): { home: string; work: string };
  openPane(name: string, size: Size, cwd: string, env: Record<string, string>, command: string): Promise<string>;
  closePane(name: string): Promise<void>;
  screenOf(pane: string): Promise<string>;
  waitFor(pane: string, test: (screen: string) => boolean, timeoutMs: number): Promise<string | undefined>;
  waitQuiet(pane: string, quietMs: number, timeoutMs: number): Promise<string>;
  sendText(pane: string, text: string): Promise<void>;
  submit(pane: string, text: string): Promise<void>;
  keys(pane: string, ...names: string[]): Promise<void>;
  /** Saves a capture as agent/<state>-<n>.txt, noting which CLI and version it is of. */
  save(cli: string, state: string, screen: string | undefined, note: string): void;
  killLeftovers(): void;
}

const SIZES: Size[] = [
  { width: 80, height: 24 },
  { width: 120, height: 40 },
];
const at = (s: Size) => `${s.width}x${s.height}`;

/** pi: an Anthropic-Messages provider pointed at the stand-in. It runs tools without asking. */
async function pi(h: Harness, size: Size): Promise<void> {
  const { home, work } = h.freshDirs('pi');
  mkdirSync(join(home, '.pi/agent'), { recursive: true });
  const provider = { baseUrl: h.standinUrl, api: 'anthropic-messages', apiKey: 'sk-standin', models: [{ id: 'claude-sonnet-4-5', name: 'Claude Sonnet 4.5 (stand-in)' }] };
  writeFileSync(join(home, '.pi/agent/models.json'), JSON.stringify({ providers: { standin: provider } }));
  const pane = await h.openPane('pi', size, work, { HOME: home }, `${h.bin}/pi --provider standin --model claude-sonnet-4-5`);
  const ready = (s: string) => /claude-sonnet-4-5\s*$/m.test(s) && !/Working\.\.\./.test(s);
  h.save('pi', 'idle', await h.waitFor(pane, ready, 30_000).then((s) => s && h.waitQuiet(pane, 1500, 8000)), `welcome screen, ${at(size)}`);
  h.setMode({ kind: 'quick' });
  await h.submit(pane, 'Say hello');
  h.save('pi', 'idle', await h.waitFor(pane, (s) => ready(s) && /stand-in model/.test(s), 20_000).then((s) => s && h.waitQuiet(pane, 1500, 8000)), `after an answer, ${at(size)}`);
  h.setMode({ kind: 'slow', seconds: 25 });
  await h.submit(pane, 'Explain the build in detail');
  await h.waitFor(pane, (s) => /Working\.\.\./.test(s), 15_000);
  await sleep(4000);
  h.save('pi', 'working', await h.waitFor(pane, (s) => /Working\.\.\./.test(s), 5000), `streaming an answer, ${at(size)}`);
  await sleep(8000);
  h.save('pi', 'working', await h.waitFor(pane, (s) => /Working\.\.\./.test(s), 5000), `streaming, later, ${at(size)}`);
  await h.waitFor(pane, (s) => ready(s) && /Done\./.test(s), 40_000);
  h.setMode({ kind: 'tool' });
  await h.submit(pane, 'Create the marker file');
  h.save('pi', 'idle', await h.waitFor(pane, (s) => ready(s) && /the command ran/.test(s), 20_000).then((s) => s && h.waitQuiet(pane, 1500, 8000)), `after a tool call it ran unasked, ${at(size)}`);
  await h.closePane('pi');
  h.killLeftovers();
}

/** grok-cli: an OpenAI Chat Completions base URL; asks before running a shell command. */
async function grok(h: Harness, size: Size): Promise<void> {
  const { home, work } = h.freshDirs('grok');
  const env = { HOME: home, GROK_API_KEY: 'xai-standin', GROK_BASE_URL: `${h.standinUrl}/v1` };
  const pane = await h.openPane('grok', size, work, env, `${h.bin}/grok`);
  const ready = (s: string) => /Ask me anything/.test(s) && !/esc to interrupt/.test(s) && !/Do you want to proceed/.test(s);
  const busy = (s: string) => /esc to interrupt/.test(s);
  h.save('grok', 'idle', await h.waitFor(pane, ready, 30_000).then((s) => s && h.waitQuiet(pane, 1500, 8000)), `welcome screen, ${at(size)}`);
  h.setMode({ kind: 'quick' });
  await h.submit(pane, 'Say hello');
  h.save('grok', 'idle', await h.waitFor(pane, (s) => ready(s) && /stand-in model/.test(s), 20_000).then((s) => s && h.waitQuiet(pane, 1500, 8000)), `after an answer, ${at(size)}`);
  h.setMode({ kind: 'slow', seconds: 25 });
  await h.submit(pane, 'Explain the build in detail');
  await h.waitFor(pane, busy, 15_000);
  await sleep(4000);
  h.save('grok', 'working', await h.waitFor(pane, busy, 5000), `streaming an answer, ${at(size)}`);
  await sleep(8000);
  h.save('grok', 'working', await h.waitFor(pane, busy, 5000), `streaming, later, ${at(size)}`);
  await h.waitFor(pane, (s) => ready(s) && /Done\./.test(s), 40_000);
  h.setMode({ kind: 'tool' });
  await h.submit(pane, 'Create the marker file');
  h.save('grok', 'waiting', await h.waitFor(pane, (s) => /Do you want to proceed/.test(s), 20_000).then((s) => s && h.waitQuiet(pane, 1000, 5000)), `shell permission dialog, ${at(size)}`);
  h.setMode({ kind: 'quick' });
  await h.keys(pane, 'Escape');
  h.save('grok', 'idle', await h.waitFor(pane, ready, 15_000).then((s) => s && h.waitQuiet(pane, 1500, 8000)), `after declining the command, ${at(size)}`);
  await h.closePane('grok');
  h.killLeftovers();
}

/** Cline: its provider menus on a fresh HOME, then an OpenAI-compatible provider on the stand-in. */
async function cline(h: Harness, size: Size): Promise<void> {
  const { home, work } = h.freshDirs('cline');
  const pane = await h.openPane('cline', size, work, { HOME: home }, `${h.bin}/cline`);
  h.save('cline', 'waiting', await h.waitFor(pane, (s) => /Bring your own provider/.test(s), 30_000).then((s) => s && h.waitQuiet(pane, 1500, 6000)), `sign-in menu at start-up, ${at(size)}`);
  await h.keys(pane, 'Down', 'Down', 'Down', 'Enter');
  h.save('cline', 'waiting', await h.waitFor(pane, (s) => /Choose a provider/.test(s), 10_000).then((s) => s && h.waitQuiet(pane, 1000, 5000)), `provider list, ${at(size)}`);
  await h.sendText(pane, 'openai compat');
  await h.keys(pane, 'Enter');
  await h.waitFor(pane, (s) => /API key/.test(s), 10_000);
  await h.keys(pane, ...Array<string>(40).fill('BSpace'));
  await h.sendText(pane, `${h.standinUrl}/v1`);
  await h.keys(pane, 'Tab', 'Tab');
  await h.sendText(pane, 'sk-standin');
  h.save('cline', 'waiting', await h.waitQuiet(pane, 1000, 5000), `base URL and API key form, ${at(size)}`);
  await h.keys(pane, 'Enter');
  await h.waitFor(pane, (s) => /Model ID/.test(s), 10_000);
  await h.keys(pane, 'Enter');
  const promo = await h.waitFor(pane, (s) => /any other key to close/.test(s), 10_000);
  if (promo) {
    h.save('cline', 'waiting', await h.waitQuiet(pane, 1000, 5000), `subscription offer over the prompt, ${at(size)}`);
    await h.keys(pane, 'Escape');
  }
  const ready = (s: string) => /What can I do for you\?/.test(s);
  h.save('cline', 'idle', await h.waitFor(pane, ready, 15_000).then((s) => s && h.waitQuiet(pane, 1500, 8000)), `prompt after setup, ${at(size)}`);
  await h.closePane('cline');
  h.killLeftovers();
}

/** Auggie: a login page is all it shows without an Augment account. */
async function auggie(h: Harness, size: Size): Promise<void> {
  const { home, work } = h.freshDirs('auggie');
  const pane = await h.openPane('auggie', size, work, { HOME: home }, `${h.bin}/auggie`);
  h.save('auggie', 'waiting', await h.waitFor(pane, (s) => /Login to continue/.test(s), 30_000).then((s) => s && h.waitQuiet(pane, 1500, 6000)), `login page at start-up, ${at(size)}`);
  await h.closePane('auggie');
  h.killLeftovers();
}

export async function captureUnprofiled(h: Harness): Promise<void> {
  for (const size of SIZES) {
    await auggie(h, size);
    await cline(h, size);
    await pi(h, size);
    await grok(h, size);
  }
}
