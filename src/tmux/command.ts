// The one place tmux commands are rendered: a verb plus typed arguments becomes a control-mode line or an argv.
// Targets are ids only, values are always quoted (control mode) or `;`-escaped (exec), formats are our own.

export type Verb =
  | 'list-panes'
  | 'list-sessions'
  | 'list-windows'
  | 'capture-pane'
  | 'display-message'
  | 'new-session'
  | 'new-window'
  | 'rename-session'
  | 'rename-window'
  | 'kill-session'
  | 'kill-window'
  | 'set-option';

/** Target kinds by sigil: pane `%N`, window `@N`, session `$N`. Names are never used as targets. */
export type TargetKind = '%' | '@' | '$';

const ID = /^([%@$])(\d{1,9})$/;

export class TmuxCommandError extends Error {
  override name = 'TmuxCommandError';
}

/** True for a well-formed tmux id; `kinds` restricts the sigil. */
export function isTmuxId(value: string, kinds: readonly TargetKind[] = ['%', '@', '$']): boolean {
  const m = ID.exec(value);
  return m !== null && kinds.includes(m[1] as TargetKind);
}

export function assertTmuxId(value: string, kinds: readonly TargetKind[] = ['%', '@', '$']): string {
  if (!isTmuxId(value, kinds)) throw new TmuxCommandError(`not a tmux id (${kinds.join('')}N): ${JSON.stringify(value)}`);
  return value;
}

/**
 * A format string we wrote. `#{…}` and `#(…)` are expanded by tmux (the latter runs a shell), so no text
 * from panes, names or callers may ever become one; the only way in is a literal or our own hex separator.
 */
export class TrustedFormat {
  private constructor(readonly text: string) {}

  /** Tagged template for literal formats; interpolation is refused. */
  static literal(strings: TemplateStringsArray, ...values: never[]): TrustedFormat {
    if (values.length > 0 || strings.length !== 1) throw new TmuxCommandError('format strings cannot interpolate values');
    return new TrustedFormat(strings[0]!);
  }

  /**
   * `then` for the panes a list selects (see PaneSelection), nothing for the others. The only values in it are
   * digits we computed; `then` is our own format and must hold no top-level comma (it would end the branch).
   */
  static forSelectedPanes(selection: PaneSelection, then: TrustedFormat): TrustedFormat {
    if (then.text.includes(',')) throw new TmuxCommandError('a conditional branch cannot hold a comma');
    return new TrustedFormat(`#{?${selectionTest(selection)},${then.text},}`);
  }

  /** A `list-panes -f` filter that keeps only the panes `selection` picks. */
  static paneFilter(selection: PaneSelection): TrustedFormat {
    return new TrustedFormat(selectionTest(selection));
  }

  /** Formats one after the other. */
  static concat(...parts: readonly TrustedFormat[]): TrustedFormat {
    return new TrustedFormat(parts.map((p) => p.text).join(''));
  }

  /** A separator alone: only hex digits (a per-query random nonce). */
  static separator(hex: string): TrustedFormat {
    if (!/^[0-9a-f]{8,64}$/.test(hex)) throw new TmuxCommandError('separator must be 8-64 hex digits');
    return new TrustedFormat(hex);
  }

  /** Join formats with a separator made only of hex digits (a per-query random nonce). */
  static join(parts: readonly TrustedFormat[], hexSeparator: string): TrustedFormat {
    if (!/^[0-9a-f]{8,64}$/.test(hexSeparator)) throw new TmuxCommandError('separator must be 8-64 hex digits');
    return new TrustedFormat(hexSeparator + parts.map((p) => p.text).join(hexSeparator) + hexSeparator);
  }
}

/**
 * Which panes a list reports in full: those whose window was active at or after `activeSince` (epoch seconds),
 * or those whose pane number ends in `idSuffix` (lists rotating through the ten one-digit suffixes refresh every
 * pane once per ten lists without any one list paying for all of them), or dead panes (with `dead`); any of them,
 * when more than one is given.
 */
export interface PaneSelection {
  activeSince?: number;
  idSuffix?: string;
  dead?: boolean;
}

/** The format test for a selection; the only values in it are digits we checked. */
function selectionTest({ activeSince, idSuffix, dead }: PaneSelection): string {
  const tests: string[] = [];
  if (activeSince !== undefined) {
    if (!Number.isSafeInteger(activeSince) || activeSince < 0) throw new TmuxCommandError('activeSince must be a non-negative integer');
    tests.push(`#{e|>=:#{window_activity},${activeSince}}`);
  }
  if (idSuffix !== undefined) {
    if (!/^\d{1,3}$/.test(idSuffix)) throw new TmuxCommandError('idSuffix must be 1-3 digits');
    tests.push(`#{m:*${idSuffix},#{pane_id}}`);
  }
  if (tests.length === 0) throw new TmuxCommandError('a selection needs activeSince or idSuffix');
  if (dead) tests.push('#{pane_dead}');
  // tmux's || takes two operands: nest for more.
  return tests.reduceRight((rest, test) => `#{||:${test},${rest}}`);
}

type Arg =
  | { kind: 'flag'; letters: string }
  | { kind: 'option'; letter: string; value: string }
  | { kind: 'target'; letter: string; id: string }
  | { kind: 'format'; letter: string; format: TrustedFormat }
  | { kind: 'positional'; value: string }
  | { kind: 'positional-format'; format: TrustedFormat };

export interface TmuxCommand {
  readonly verb: Verb;
  readonly args: readonly Arg[];
}

const LETTERS = /^[A-Za-z]+$/;
const LETTER = /^[A-Za-z]$/;

function checkValue(value: string): string {
  if (/[\n\r\0]/.test(value)) throw new TmuxCommandError('tmux values cannot contain newline, carriage return or NUL');
  return value;
}

/** Boolean flags, e.g. `flags('pJ')` for `-p -J`. */
export function flags(letters: string): Arg {
  if (!LETTERS.test(letters)) throw new TmuxCommandError(`bad flag letters: ${JSON.stringify(letters)}`);
  return { kind: 'flag', letters };
}

/** A flag with an untrusted value, e.g. `option('s', sessionName)`. */
export function option(letter: string, value: string): Arg {
  if (!LETTER.test(letter)) throw new TmuxCommandError(`bad option letter: ${JSON.stringify(letter)}`);
  if (letter === 't' || letter === 'F') throw new TmuxCommandError(`use target()/format() for -${letter}`);
  return { kind: 'option', letter, value: checkValue(value) };
}

/** `-t` (or another target flag) with a validated id. */
export function target(id: string, kinds?: readonly TargetKind[], letter = 't'): Arg {
  if (!LETTER.test(letter)) throw new TmuxCommandError(`bad target letter: ${JSON.stringify(letter)}`);
  return { kind: 'target', letter, id: assertTmuxId(id, kinds) };
}

export function format(fmt: TrustedFormat, letter = 'F'): Arg {
  if (!(fmt instanceof TrustedFormat)) throw new TmuxCommandError('format must be a TrustedFormat');
  return { kind: 'format', letter, format: fmt };
}

/** A positional argument (a name, a shell command for new-window); rendered after `--`. */
export function positional(value: string): Arg {
  return { kind: 'positional', value: checkValue(value) };
}

/** A positional argument that tmux expands as a format (display-message's message): ours only. */
export function messageFormat(fmt: TrustedFormat): Arg {
  if (!(fmt instanceof TrustedFormat)) throw new TmuxCommandError('message must be a TrustedFormat');
  return { kind: 'positional-format', format: fmt };
}

export function command(verb: Verb, ...args: Arg[]): TmuxCommand {
  if (verb === 'display-message' && args.some((a) => a.kind === 'positional')) {
    throw new TmuxCommandError('display-message expands its message as a format; use messageFormat()');
  }
  return { verb, args };
}

/**
 * Values tmux expands as formats before using them (3.3a: names given to rename-*, new-session, new-window,
 * and start directories). There `#` is special (`#(cmd)` runs a shell), so it is written `##`.
 */
const FORMAT_EXPANDED: Partial<Record<Verb, { positional?: true; options?: string }>> = {
  'rename-session': { positional: true },
  'rename-window': { positional: true },
  'new-session': { options: 'sncA' },
  'new-window': { options: 'nc' },
};

function literalInFormat(verb: Verb, arg: Arg): boolean {
  const spec = FORMAT_EXPANDED[verb];
  if (!spec) return false;
  if (arg.kind === 'positional') return spec.positional === true;
  return arg.kind === 'option' && (spec.options ?? '').includes(arg.letter);
}

/** Single-quote for tmux's command parser: nothing inside '…' is special; `'` becomes `'\''`. */
export function quote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

function parts(cmd: TmuxCommand): Array<{ literal: string } | { value: string }> {
  const out: Array<{ literal: string } | { value: string }> = [{ literal: cmd.verb }];
  let sawPositional = false;
  for (const arg of cmd.args) {
    if ((arg.kind === 'format' || arg.kind === 'positional-format') && !(arg.format instanceof TrustedFormat)) {
      throw new TmuxCommandError('format must be a TrustedFormat');
    }
    const isPositional = arg.kind === 'positional' || arg.kind === 'positional-format';
    if (sawPositional && !isPositional) throw new TmuxCommandError('flags must come before positional arguments');
    const escaped = literalInFormat(cmd.verb, arg);
    switch (arg.kind) {
      case 'flag':
        out.push({ literal: `-${arg.letters}` });
        break;
      case 'option':
        out.push({ literal: `-${arg.letter}` }, { value: escaped ? arg.value.replaceAll('#', '##') : arg.value });
        break;
      case 'target':
        out.push({ literal: `-${arg.letter}` }, { value: arg.id });
        break;
      case 'format':
        out.push({ literal: `-${arg.letter}` }, { value: arg.format.text });
        break;
      case 'positional':
      case 'positional-format':
        // `--` ends option parsing, so a value starting with "-" is never read as a flag.
        if (!sawPositional) out.push({ literal: '--' });
        sawPositional = true;
        if (arg.kind === 'positional-format') out.push({ value: arg.format.text });
        else out.push({ value: escaped ? arg.value.replaceAll('#', '##') : arg.value });
        break;
    }
  }
  return out;
}

/** One control-mode input line (without the newline). */
export function toControlLine(cmd: TmuxCommand): string {
  return parts(cmd)
    .map((p) => ('literal' in p ? p.literal : quote(p.value)))
    .join(' ');
}

/**
 * Arguments for `tmux -S sock …` via execFile. No shell is involved, but tmux itself splits commands at an
 * argument ending in `;`; an escaped trailing `\;` is kept as a literal `;`.
 */
export function toArgv(cmd: TmuxCommand): string[] {
  return parts(cmd).map((p) => {
    if ('literal' in p) return p.literal;
    return p.value.endsWith(';') ? `${p.value.slice(0, -1)}\\;` : p.value;
  });
}
