// Captures real screens of the agent CLIs in tools/agent-clis (and of plain shells and programs) into
// test/fixtures/screens/<kind>/<state>-<n>.txt, driving each CLI against the model stand-in in test/standin.
// Run with `npm run fixtures:capture [-- kind…]` after `npm install --prefix tools/agent-clis`. Each capture's file
// name is the state the scenario drove the pane into; review the diff before committing (see the README there).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startStandin, type Standin } from '../test/standin/server.ts';
import type { Mode } from '../test/standin/modes.ts';
import { startPrivateTmux, type PrivateTmux } from '../test/helpers/tmux.ts';
import { captureUnprofiled } from './capture-unprofiled.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SCREENS = join(ROOT, 'test/fixtures/screens');
const BIN = join(ROOT, 'tools/agent-clis/node_modules/.bin');
/** Kinds whose fixtures this script owns (aider's are written by hand). */
const CAPTURED_KINDS = ['claude-code', 'codex', 'gemini-cli', 'agent', 'shell', 'program'] as const;
type Kind = (typeof CAPTURED_KINDS)[number];

const SIZES = [
  { width: 80, height: 24 },
  { width: 120, height: 40 },
];
const WIDE = { width: 200, height: 50 };
/** Where a pane lands when its agent exits or dies: a plain bash with a typical prompt. */
const AFTER_EXIT = `exec bash --norc --noprofile`;
const SHELL_PS1 = 'dev@buildbox:~/work$ ';

/** Text that quotes other states' markers; an idle agent that printed it is still idle (hard negatives). */
const QUOTING_TEXT = [
  'Here is what the old log said, for the record:',
  '',
  '```',
  '$ npm test',
  'FAIL test/parser.test.ts',
  '  ✕ parses chunked input (12 ms)',
  'Traceback (most recent call last):',
  '  File "tools/gen.py", line 3, in <module>',
  'Error: 1 test failed, 41 passed',
  '```',
  '',
  'The spinner then read "esc to interrupt", and the CLI asked "Do you want to proceed?" before it ran',
  'anything. Both of those are history now; the fix is in and the suite is green.',
].join('\n');

interface Capture {
  kind: Kind;
  state: string;
  screen: string;
  note: string;
  /** For kind `agent` (CLIs without a profile): which CLI, so the fixture test and the accuracy table know. */
  cli?: string;
}
const captures: Capture[] = [];

let tmux: PrivateTmux;
let standin: Standin;
let scratch: string;

function log(message: string): void {
  process.stderr.write(`[capture] ${message}\n`);
}

async function screenOf(pane: string): Promise<string> {
  return tmux.tmux('capture-pane', '-p', '-J', '-t', pane);
}

/** Polls the screen until `test` holds; returns the screen, or undefined after `timeoutMs`. */
async function waitFor(pane: string, test: (screen: string) => boolean, timeoutMs: number): Promise<string | undefined> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const screen = await screenOf(pane).catch(() => '');
    if (test(screen)) return screen;
    await sleep(250);
  }
  return undefined;
}

/** Waits until the screen has not changed for `quietMs` (spinners keep it changing). */
async function waitQuiet(pane: string, quietMs: number, timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last = await screenOf(pane);
  let since = Date.now();
  while (Date.now() < end) {
    await sleep(250);
    const now = await screenOf(pane);
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      break;
    }
  }
  return last;
}

function save(kind: Kind, state: string, screen: string | undefined, note: string, cli?: string): void {
  if (screen === undefined || screen.trim() === '') {
    log(`SKIP ${kind}/${state}: ${note} (the expected screen never showed)`);
    return;
  }
  // Kept byte for byte: `capture-pane -J` keeps trailing spaces, and the poller sees exactly this.
  captures.push({ kind, state, screen, note, ...(cli ? { cli } : {}) });
  log(`got  ${kind}/${state}: ${note}`);
}

async function sendText(pane: string, text: string): Promise<void> {
  await tmux.tmux('send-keys', '-t', pane, '-l', text);
  // Codex treats keys that arrive together as a paste, where Enter is a newline: pause before Enter.
  await sleep(800);
}

async function submit(pane: string, text: string): Promise<void> {
  await sendText(pane, text);
  await tmux.tmux('send-keys', '-t', pane, 'Enter');
}

async function keys(pane: string, ...names: string[]): Promise<void> {
  for (const name of names) {
    await tmux.tmux('send-keys', '-t', pane, name);
    await sleep(400);
  }
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function descendants(pid: number): number[] {
  return childPids(pid).flatMap((child) => [child, ...descendants(child)]);
}

/** SIGKILLs the agent under the pane's shell (and its own children), as a crash would. */
async function crash(pane: string): Promise<void> {
  const panePid = Number((await tmux.tmux('display-message', '-p', '-t', pane, '#{pane_pid}')).trim());
  for (const pid of descendants(panePid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Processes started from our scratch dir that outlived their pane (Codex's app-server daemon). */
function killLeftovers(): void {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-f', scratch], { encoding: 'utf8' });
  } catch {
    return;
  }
  for (const pid of out.split('\n').filter(Boolean).map(Number)) {
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Opens a pane (its own session) running `command` with `env`, falling back to bash when it ends. */
async function openPane(name: string, size: { width: number; height: number }, cwd: string, env: Record<string, string>, command: string): Promise<string> {
  const assignments = Object.entries({
    TERM: 'xterm-256color',
    COLORTERM: 'truecolor',
    LANG: 'C.UTF-8',
    PS1: SHELL_PS1,
    ...env,
  }).map(([k, v]) => `${k}=${shellQuote(v)}`);
  const line = `cd ${shellQuote(cwd)} && export ${assignments.join(' ')} && ${command}; ${AFTER_EXIT}`;
  await tmux.tmux('kill-session', '-t', name).catch(() => undefined);
  return tmux.newSession(name, line, size);
}

async function closePane(name: string): Promise<void> {
  await tmux.tmux('kill-session', '-t', name).catch(() => undefined);
  await sleep(300);
}

/** A fresh HOME and working folder for one CLI run. */
function freshDirs(label: string): { home: string; work: string } {
  const base = mkdtempSync(join(scratch, `${label}-`));
  const home = join(base, 'home');
  const work = join(base, 'project');
  mkdirSync(home, { recursive: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'README.md'), '# demo project\n');
  return { home, work };
}

// ---- How each CLI is set up, recognised and steered ----

interface CliSpec {
  kind: Kind;
  /** Writes config into HOME; returns the env and the command line. */
  setup(dirs: { home: string; work: string }, variant?: string): { env: Record<string, string>; command: string };
  /** The input prompt is up and nothing is running. */
  idle(screen: string): boolean;
  working(screen: string): boolean;
  dialog(screen: string): boolean;
  /** Keys that decline a permission dialog. */
  decline: string[];
  /** Keys that quit the CLI normally. */
  quit: string[];
  /** A menu the CLI may show before its first prompt on a fresh HOME, and the keys that dismiss it. */
  startMenu?: { test(screen: string): boolean; dismiss: string[]; note: string };
}

/** Claude's status bar while busy ("… · esc to interrupt") and its dialog question at the start of a line. */
const claudeWorking = /[·•] esc to interrupt/;
const claudeDialog = /^\s*│?\s*Do you want to (proceed|make this edit|create)/m;

const claude: CliSpec = {
  kind: 'claude-code',
  setup({ home, work }, variant) {
    const key = 'sk-ant-api03-standin-000000000000000000000000000000';
    const state: Record<string, unknown> = {
      hasCompletedOnboarding: variant !== 'onboarding',
      theme: 'dark',
      numStartups: 3,
      bypassPermissionsModeAccepted: variant === 'bypass',
      customApiKeyResponses: { approved: [key.slice(-20)], rejected: [] },
      projects: { [work]: { hasTrustDialogAccepted: variant !== 'trust', hasCompletedProjectOnboarding: true, allowedTools: [] } },
    };
    writeFileSync(join(home, '.claude.json'), JSON.stringify(state, null, 2));
    mkdirSync(join(home, '.claude'), { recursive: true });
    // Default mode asks before each Bash call; the new default "auto" mode would run our harmless command unasked.
    writeFileSync(join(home, '.claude/settings.json'), JSON.stringify({ permissions: { defaultMode: 'default' } }));
    const env: Record<string, string> = {
      HOME: home,
      ANTHROPIC_BASE_URL: standin.url,
      ANTHROPIC_API_KEY: key,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
    };
    if (variant === 'autoupdate') delete env.DISABLE_AUTOUPDATER;
    const flags = variant === 'bypass' || variant === 'bypass-unaccepted' ? ' --dangerously-skip-permissions' : '';
    return { env, command: `${BIN}/claude${flags}` };
  },
  // Anchored to the UI's own lines: the quoting answer mentions "esc to interrupt" and "Do you want to proceed?".
  idle: (s) => /^❯/m.test(s) && !claudeWorking.test(s) && !claudeDialog.test(s),
  working: (s) => claudeWorking.test(s),
  dialog: (s) => claudeDialog.test(s),
  decline: ['Escape'],
  quit: ['C-c', 'C-c'],
  // 2.1.330 asks this on every fresh HOME; "No, keep manual mode" keeps the permission dialogs we capture.
  startMenu: { test: (s) => /Make auto mode your default permission mode\?/.test(s), dismiss: ['Down', 'Enter'], note: 'auto-mode question at start-up' },
};

const codex: CliSpec = {
  kind: 'codex',
  setup({ home, work }, variant) {
    const codexHome = join(home, '.codex');
    mkdirSync(codexHome, { recursive: true });
    const trust = variant === 'trust' ? '' : `\n[projects.${JSON.stringify(work)}]\ntrust_level = "trusted"\n`;
    writeFileSync(
      join(codexHome, 'config.toml'),
      [
        'model = "gpt-5-codex"',
        'model_provider = "standin"',
        `approval_policy = "on-request"`,
        `sandbox_mode = "${variant === 'bypass' ? 'danger-full-access' : 'read-only'}"`,
        'check_for_update_on_startup = false',
        '',
        '[model_providers.standin]',
        'name = "Standin"',
        `base_url = "${standin.url}/v1"`,
        'env_key = "STANDIN_API_KEY"',
        'wire_api = "responses"',
        'request_max_retries = 1',
        'stream_max_retries = 1',
        trust,
      ].join('\n'),
    );
    return { env: { HOME: home, CODEX_HOME: codexHome, STANDIN_API_KEY: 'sk-standin' }, command: `${BIN}/codex` };
  },
  idle: (s) => /^› /m.test(s) && !/• esc to interrupt\)/.test(s) && !/^\s*Would you like to/m.test(s),
  working: (s) => /esc to interrupt/.test(s),
  dialog: (s) => /Would you like to run the following command\?/.test(s),
  decline: ['Escape'],
  quit: ['C-c', 'C-c'],
};

const gemini: CliSpec = {
  kind: 'gemini-cli',
  setup({ home }, variant) {
    mkdirSync(join(home, '.gemini'), { recursive: true });
    const settings: Record<string, unknown> = {
      security: { auth: { selectedType: 'gemini-api-key' }, folderTrust: { enabled: variant === 'trust' } },
      ui: { theme: 'Default' },
      general: { disableAutoUpdate: true, disableUpdateNag: true },
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
    };
    if (variant === 'auth') delete settings.security;
    writeFileSync(join(home, '.gemini/settings.json'), JSON.stringify(settings, null, 2));
    const env: Record<string, string> = { HOME: home, GOOGLE_GEMINI_BASE_URL: standin.url, GEMINI_API_KEY: 'standin-key' };
    if (variant === 'auth') delete env.GEMINI_API_KEY;
    const flags = variant === 'bypass' ? ' --yolo' : '';
    return { env, command: `${BIN}/gemini${flags}` };
  },
  idle: (s) => /Type your message/.test(s) && !/esc to cancel/.test(s),
  working: (s) => /esc to cancel/.test(s),
  dialog: (s) => /Allow execution|Allow once/.test(s),
  decline: ['Escape'],
  quit: ['C-c', 'C-c'],
};

async function startCli(cli: CliSpec, size: { width: number; height: number }, variant?: string): Promise<string> {
  const dirs = freshDirs(`${cli.kind}${variant ? `-${variant}` : ''}`);
  const { env, command } = cli.setup(dirs, variant);
  return openPane(`${cli.kind}-${size.width}`, size, dirs.work, env, command);
}

/** Waits for the first prompt, answering a start-up menu on the way (saved as `waiting` when `at` is given). */
async function reachPrompt(cli: CliSpec, pane: string, at?: string): Promise<string | undefined> {
  const menu = cli.startMenu;
  const first = await waitFor(pane, (s) => cli.idle(s) || (menu?.test(s) ?? false), 40_000);
  if (first && menu?.test(first)) {
    if (at) save(cli.kind, 'waiting', await waitQuiet(pane, 1500, 8000), `${menu.note}, ${at}`);
    await keys(pane, ...menu.dismiss);
    return waitFor(pane, cli.idle, 20_000);
  }
  return first;
}

async function turn(cli: CliSpec, pane: string, mode: Mode, prompt: string): Promise<void> {
  standin.setMode(mode);
  await submit(pane, prompt);
}

/** The main walk through one CLI's states at one size. */
async function walk(cli: CliSpec, size: { width: number; height: number }): Promise<void> {
  const at = `${size.width}x${size.height}`;
  const pane = await startCli(cli, size);
  save(cli.kind, 'idle', await reachPrompt(cli, pane, at).then((s) => s && waitQuiet(pane, 1500, 8000)), `welcome screen, ${at}`);

  await sendText(pane, 'Add a --verbose flag to the build script');
  save(cli.kind, 'unsubmitted', await waitQuiet(pane, 1000, 5000), `typed, not submitted, ${at}`);
  standin.setMode({ kind: 'quick' });
  await keys(pane, 'Enter');
  save(cli.kind, 'idle', await waitFor(pane, (s) => cli.idle(s) && /stand-in model/.test(s), 30_000), `after an answer, ${at}`);

  await turn(cli, pane, { kind: 'slow', seconds: 30 }, 'Explain the build in detail');
  await waitFor(pane, cli.working, 15_000);
  await sleep(4000);
  save(cli.kind, 'working', await waitFor(pane, cli.working, 5000), `streaming an answer, ${at}`);
  await sleep(8000);
  save(cli.kind, 'working', await waitFor(pane, cli.working, 5000), `streaming, later, ${at}`);
  await waitFor(pane, cli.idle, 40_000);
  await waitQuiet(pane, 1000, 5000);

  await turn(cli, pane, { kind: 'tool' }, 'Create the marker file');
  save(cli.kind, 'waiting', await waitFor(pane, cli.dialog, 30_000).then((s) => s && waitQuiet(pane, 1000, 4000)), `shell permission dialog, ${at}`);
  await keys(pane, ...cli.decline);
  await waitFor(pane, cli.idle, 20_000);
  await waitQuiet(pane, 1000, 5000);

  await turn(cli, pane, { kind: 'quick', text: QUOTING_TEXT }, 'What did the old test log say?');
  save(cli.kind, 'idle', await waitFor(pane, (s) => cli.idle(s) && /green/.test(s), 30_000), `idle, answer quotes other states' markers, ${at}`);

  await turn(cli, pane, { kind: 'slow', seconds: 30, text: `${QUOTING_TEXT}\n\n${'More detail follows. '.repeat(40)}` }, 'Repeat the old test log slowly');
  await waitFor(pane, cli.working, 15_000);
  await sleep(6000);
  save(cli.kind, 'working', await waitFor(pane, cli.working, 5000), `working, streamed text quotes failures, ${at}`);
  await keys(pane, 'Escape');
  await sleep(1000);
  await waitFor(pane, cli.idle, 20_000);
  await waitQuiet(pane, 1000, 5000);

  await turn(cli, pane, { kind: 'rate_limit', retryAfterSeconds: 3 * 3600 }, 'Try again please');
  save(cli.kind, 'rate_limited', await waitQuiet(pane, 3000, 45_000), `429 with retry-after 3h, ${at}`);
  await keys(pane, 'Escape');
  await waitFor(pane, cli.idle, 20_000);

  await turn(cli, pane, { kind: 'overloaded' }, 'And once more');
  save(cli.kind, 'error', await waitQuiet(pane, 3000, 60_000), `overloaded, ${at}`);
  await keys(pane, 'Escape');
  await waitFor(pane, cli.idle, 20_000);

  await turn(cli, pane, { kind: 'bad_request' }, 'One last time');
  save(cli.kind, 'error', await waitQuiet(pane, 3000, 45_000), `400 invalid request, ${at}`);
  standin.setMode({ kind: 'quick' });

  if (size.width === 120) {
    await crash(pane);
    save(cli.kind, 'crashed', await waitFor(pane, (s) => s.includes(SHELL_PS1), 10_000), `agent SIGKILLed, pane back at bash, ${at}`);
  } else {
    await keys(pane, ...cli.quit);
    save(cli.kind, 'exited', await waitFor(pane, (s) => s.includes(SHELL_PS1), 15_000), `agent quit with Ctrl-C, pane back at bash, ${at}`);
  }
  await closePane(`${cli.kind}-${size.width}`);
  killLeftovers();
}

/** Start-up screens: the first frames, first-run menus and trust dialogs. */
async function startup(cli: CliSpec): Promise<void> {
  const size = SIZES[1]!;
  let pane = await startCli(cli, size);
  const first = (await waitFor(pane, (s) => s.trim() !== '', 20_000)) ?? '';
  if (cli.startMenu?.test(first)) log(`first frame of ${cli.kind} is already its start-up menu (captured in the walk)`);
  else if (!cli.idle(first)) save(cli.kind, 'starting', first, 'first frame after launch');
  await closePane(`${cli.kind}-${size.width}`);

  for (const variant of ['trust', 'onboarding', 'auth', 'bypass-unaccepted']) {
    if (variant === 'onboarding' && cli.kind !== 'claude-code') continue;
    if (variant === 'bypass-unaccepted' && cli.kind !== 'claude-code') continue;
    if (variant === 'auth' && cli.kind !== 'gemini-cli') continue;
    pane = await startCli(cli, size, variant);
    const screen = await waitQuiet(pane, 3000, 30_000);
    if (cli.idle(screen)) log(`no ${variant} menu for ${cli.kind}: it went straight to its prompt`);
    else save(cli.kind, 'waiting', screen, `${variant} menu at start-up`);
    await closePane(`${cli.kind}-${size.width}`);
    killLeftovers();
  }
}

/** Permission-bypass mode: its status bar says so all the time, idle or working. */
async function bypass(cli: CliSpec): Promise<void> {
  const size = SIZES[1]!;
  const pane = await startCli(cli, size, 'bypass');
  save(cli.kind, 'idle', await reachPrompt(cli, pane).then((s) => s && waitQuiet(pane, 1500, 8000)), 'idle in permission-bypass mode');
  await turn(cli, pane, { kind: 'slow', seconds: 20 }, 'Explain the build in detail');
  await waitFor(pane, cli.working, 15_000);
  await sleep(4000);
  save(cli.kind, 'working', await waitFor(pane, cli.working, 5000), 'working in permission-bypass mode');
  await closePane(`${cli.kind}-${size.width}`);
  killLeftovers();
}

/** A wide pane, where the CLIs lay out their footers differently. */
async function wide(cli: CliSpec): Promise<void> {
  const pane = await startCli(cli, WIDE);
  await reachPrompt(cli, pane);
  await turn(cli, pane, { kind: 'slow', seconds: 20 }, 'Explain the build in detail');
  await waitFor(pane, cli.working, 15_000);
  await sleep(4000);
  save(cli.kind, 'working', await waitFor(pane, cli.working, 5000), `streaming, ${WIDE.width}x${WIDE.height}`);
  await waitFor(pane, cli.idle, 40_000);
  save(cli.kind, 'idle', await waitQuiet(pane, 1500, 8000), `after the answer, ${WIDE.width}x${WIDE.height}`);
  await closePane(`${cli.kind}-${WIDE.width}`);
  killLeftovers();
}

/** A command whose output looks like other states' markers, for an agent to run and then sit idle below. */
const FAILING_OUTPUT_COMMAND =
  "printf '$ npm test\\nFAIL test/parser.test.ts\\nTraceback (most recent call last):\\n  File \"gen.py\", line 3\\nError: 1 test failed, 41 passed\\n'";

/**
 * Hard negatives only (`-- --add claude-code codex`): idle below an answer that quotes other states' markers,
 * and (Claude) idle below a shell run whose output has `$ `, `FAIL`, `Traceback` and `failed` lines.
 */
async function hardNegatives(cli: CliSpec): Promise<void> {
  for (const size of SIZES) {
    const at = `${size.width}x${size.height}`;
    const pane = await startCli(cli, size);
    await reachPrompt(cli, pane);
    await waitQuiet(pane, 1000, 5000);
    await turn(cli, pane, { kind: 'quick', text: QUOTING_TEXT }, 'What did the old test log say?');
    const quoted = await waitFor(pane, (s) => cli.idle(s) && /green/.test(s), 30_000);
    save(cli.kind, 'idle', quoted && (await waitQuiet(pane, 1500, 8000)), `idle, answer quotes other states' markers, ${at}`);
    if (cli.kind === 'claude-code' && size.width === 120) {
      // 2.1.330 folds a tool call's output into "Ran 1 shell command"; its `!` shell mode prints it in full.
      await sendText(pane, '!');
      await submit(pane, FAILING_OUTPUT_COMMAND);
      const ran = await waitFor(pane, (s) => cli.idle(s) && /Traceback/.test(s) && /stand-in model/.test(s), 30_000);
      save(cli.kind, 'idle', ran && (await waitQuiet(pane, 1500, 8000)), `idle below a shell run's $, FAIL, Traceback, failed lines, ${at}`);
    }
    await closePane(`${cli.kind}-${size.width}`);
    killLeftovers();
  }
}

/** Claude Code with its auto-updater on and no network: does it show a failure banner above a healthy prompt? */
async function autoUpdateBanner(): Promise<void> {
  const pane = await startCli(claude, SIZES[1]!, 'autoupdate');
  await reachPrompt(claude, pane);
  const screen = await waitFor(pane, (s) => /Auto-update failed/i.test(s), 60_000);
  if (screen) save('claude-code', 'idle', screen, 'auto-update failed banner above a healthy prompt');
  else log('claude-code showed no auto-update banner within 60 s');
  await closePane(`claude-code-${SIZES[1]!.width}`);
}

// ---- Plain shells and programs ----

async function shells(): Promise<void> {
  const prompts = [SHELL_PS1, '[dev@buildbox project]$ ', 'root@ci-runner-7:/srv/app# ', 'alice@mbp-alice ~/code/paneward (main) % '];
  for (const [i, ps1] of prompts.entries()) {
    const size = SIZES[i % 2]!;
    const dirs = freshDirs('shell');
    const pane = await openPane('shell', size, dirs.work, { HOME: dirs.home, PS1: ps1 }, 'true');
    await waitFor(pane, (s) => s.includes(ps1.trimEnd()), 5000);
    if (i > 0) {
      await submit(pane, 'ls -la');
      await submit(pane, "printf 'Tests: 2 failed, 40 passed\\nTraceback (most recent call last):\\n  esc to interrupt\\n'");
    }
    save('shell', 'idle', await waitQuiet(pane, 1000, 5000), `bash prompt ${JSON.stringify(ps1)}`);
    await closePane('shell');
  }
  const dirs = freshDirs('shell');
  const pane = await openPane('shell', SIZES[1]!, dirs.work, { HOME: dirs.home }, 'true');
  await sendText(pane, 'git commit -am "wip"');
  save('shell', 'unsubmitted', await waitQuiet(pane, 1000, 5000), 'a command typed at a bash prompt, not run');
  await keys(pane, 'C-u');
  await submit(pane, 'sleep 30');
  save('shell', 'working', await waitQuiet(pane, 1500, 5000), 'sleep 30 running in the foreground (nothing printed)');
  await closePane('shell');
}

async function programs(): Promise<void> {
  const dirs = freshDirs('program');
  const logLoop = `for i in $(seq 1 400); do printf '%s INFO  http  GET /api/items/%d 200 %dms\\n' "$(date +%H:%M:%S)" $i $((i % 37)); if [ $((i % 9)) -eq 0 ]; then echo "$(date +%H:%M:%S) WARN  db    slow query took 512ms (failed over to replica)"; fi; sleep 0.05; done`;
  let pane = await openPane('program', SIZES[1]!, dirs.work, { HOME: dirs.home }, logLoop);
  await sleep(4000);
  save('program', 'working', await screenOf(pane), 'a server log scrolling');
  await closePane('program');

  const build = `for i in $(seq 1 60); do echo "[$i/60] Compiling src/module_$i.c"; sleep 0.1; done`;
  pane = await openPane('program', SIZES[0]!, dirs.work, { HOME: dirs.home }, build);
  await sleep(3000);
  save('program', 'working', await screenOf(pane), 'a build printing progress');
  await closePane('program');

  const server = `node -e 'console.log("> demo@1.0.0 start"); console.log("Server listening on http://127.0.0.1:3000"); setInterval(() => {}, 1e6)'`;
  pane = await openPane('program', SIZES[1]!, dirs.work, { HOME: dirs.home }, server);
  save('program', 'idle', await waitQuiet(pane, 2000, 8000), 'a server that started and went quiet');
  await closePane('program');

  writeFileSync(join(dirs.work, 'app.log'), Array.from({ length: 30 }, (_, i) => `2024-05-02T10:${String(i).padStart(2, '0')}:00Z INFO job ${i} done`).join('\n') + '\n');
  pane = await openPane('program', SIZES[0]!, dirs.work, { HOME: dirs.home }, 'tail -f app.log');
  save('program', 'idle', await waitQuiet(pane, 2000, 8000), 'tail -f on a log that stopped growing');
  await closePane('program');
}

/** The helpers the walk of unprofiled CLIs (capture-unprofiled.ts) drives them with. */
function harness() {
  return {
    bin: BIN,
    standinUrl: standin.url,
    setMode: (mode: Mode) => standin.setMode(mode),
    freshDirs,
    openPane,
    closePane,
    screenOf,
    waitFor,
    waitQuiet,
    sendText,
    submit,
    keys,
    save: (cli: string, state: string, screen: string | undefined, note: string) => save('agent', state, screen, `${cli}: ${note}`, cli),
    killLeftovers,
  };
}

// ---- Writing the files ----

/** Writes the captures as <state>-<n>.txt: replacing the kind's files, or (`add`) numbering after them. */
function writeFixtures(kinds: readonly Kind[], add: boolean): void {
  for (const kind of kinds) {
    const dir = join(SCREENS, kind);
    mkdirSync(dir, { recursive: true });
    const counts = new Map<string, number>();
    for (const name of readdirSync(dir)) {
      const m = /^(.+)-(\d+)\.txt$/.exec(name);
      if (!m) continue;
      if (add) counts.set(m[1]!, Math.max(counts.get(m[1]!) ?? 0, Number(m[2])));
      else unlinkSync(join(dir, name));
    }
    const sources: Record<string, { cli: string; note: string }> = {};
    for (const c of captures.filter((x) => x.kind === kind)) {
      const n = (counts.get(c.state) ?? 0) + 1;
      counts.set(c.state, n);
      writeFileSync(join(dir, `${c.state}-${n}.txt`), c.screen);
      if (c.cli) sources[`${c.state}-${n}.txt`] = { cli: c.cli, note: c.note };
      log(`wrote ${kind}/${c.state}-${n}.txt  (${c.note})`);
    }
    if (Object.keys(sources).length > 0) writeFileSync(join(dir, 'sources.json'), `${JSON.stringify(sources, null, 2)}\n`);
  }
}

async function main(): Promise<void> {
  const requested = process.argv.slice(2).filter((a) => !a.startsWith('-')) as Kind[];
  const add = process.argv.includes('--add');
  const kinds = requested.length > 0 ? requested : [...CAPTURED_KINDS];
  for (const k of kinds) if (!CAPTURED_KINDS.includes(k)) throw new Error(`unknown kind ${k}; one of ${CAPTURED_KINDS.join(', ')}`);
  if (kinds.some((k) => k !== 'shell' && k !== 'program') && !existsSync(join(BIN, 'claude'))) {
    throw new Error('tools/agent-clis is not installed: run `npm install --prefix tools/agent-clis` first');
  }

  // Outside /tmp: Codex refuses to set up its helpers under a temp dir and shows a warning for it.
  const scratchRoot = existsSync('/var/tmp') ? '/var/tmp' : ROOT;
  scratch = mkdtempSync(join(scratchRoot, 'paneward-capture-'));
  standin = await startStandin({ logFile: join(scratch, 'requests.jsonl') });
  tmux = await startPrivateTmux();
  log(`stand-in at ${standin.url}, tmux at ${tmux.socket}, scratch in ${scratch}`);
  try {
    const clis = { 'claude-code': claude, codex, 'gemini-cli': gemini } as const;
    for (const kind of kinds) {
      if (add) {
        if (kind === 'shell' || kind === 'program' || kind === 'agent') throw new Error('--add captures agent hard negatives only');
        await hardNegatives(clis[kind]);
      } else if (kind === 'agent') await captureUnprofiled(harness());
      else if (kind === 'shell') await shells();
      else if (kind === 'program') await programs();
      else {
        const cli = clis[kind];
        await startup(cli);
        for (const size of SIZES) await walk(cli, size);
        await wide(cli);
        await bypass(cli);
        if (kind === 'claude-code') await autoUpdateBanner();
      }
    }
    writeFixtures(kinds, add);
  } finally {
    await tmux.cleanup();
    killLeftovers();
    await standin.close();
    if (!process.env.KEEP_SCRATCH) rmSync(scratch, { recursive: true, force: true });
    else log(`kept ${scratch}`);
  }
}

await main();
