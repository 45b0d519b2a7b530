// Secrets never leave the process: every text served or logged (evidence, explain traces, history, logs, and
// screens unless asked otherwise) goes through `redact`. The patterns come from secretlint's maintained
// recommended preset; our own rules below cover only what it misses on one screen line (see README, Redaction).
import { rules as secretlintRules } from '@secretlint/secretlint-rule-preset-recommend';
import type { SecretLintRuleContext, SecretLintRuleCreator, SecretLintSourceCode } from '@secretlint/types';

const MASK = '[redacted]';

type Range = readonly [start: number, end: number];

/**
 * What secretlint's preset does not catch on a terminal line, each masking only the value: keys assigned in shells
 * and config (`aws_secret_access_key=`, `secret_key_base=`, `password: x`, short ones included), header schemes
 * (`Authorization: Basic|Bearer|token`), one line of a private-key block, Stripe live keys, Google API keys and
 * OAuth tokens, OpenAI-style `sk-` keys, JWTs, and AWS access key ids (secretlint skips AWS's documented examples).
 * Group 1, when present, is the part kept in front of the mask.
 */
const OWN_RULES: RegExp[] = [
  /\b((?:authorization|proxy-authorization)\s*[:=]\s*["']?(?:basic|bearer|token|digest)\s+)[^\s"']{3,}/gi,
  /\b((?:bearer|token)\s+(?:is\s+)?)(?=[A-Za-z0-9._~+/=-]*\d)(?=[A-Za-z0-9._~+/=-]*[A-Za-z])[A-Za-z0-9._~+/=-]{16,}/gi,
  /\b([A-Za-z0-9_.-]*(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?|auth)(?:[_.-][A-Za-z0-9_.-]*)?["']?\s*[=:]\s*)(?!\[redacted\])(?![A-Za-z_$][\w$]*(?:\.[\w$]+)+(?:\s|$)|[^\s]*\()("[^"\s]+"|'[^'\s]+'|[^\s"',;]{3,})/gi,
  /\b((?:password|passwd|pwd)\s+)(?=\S*\d)(?=\S*[A-Za-z])[^\s"']{4,}/gi,
  /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+(?=@)/gi,
  /(-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----)[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  /\b((?:sk|rk|pk)_(?:live|test)_)[A-Za-z0-9]{10,}/g,
  /\b((?:sk|pk|rk)-)(?:[A-Za-z0-9]+-)*[A-Za-z0-9_-]{16,}/g,
  /\b(AIza)[A-Za-z0-9_-]{30,}/g,
  /\b(ya29\.)[A-Za-z0-9_.-]{10,}/g,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g,
  /\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{12,})/g,
];

/** Words one of the rules needs; a text with none of them (most screen lines) skips the regexes entirely. */
const MAY_HOLD_SECRET =
  /key|token|secret|pass|pwd|auth|bearer|cred|private|:\/\/|[A-Za-z0-9_-]{16,}|_(?:live|test)_|AKIA|ASIA|eyJ|xox|sk-|hf_|npm_|gh[pousr]_|glpat|ya29/i;

const scanners = createScanners();
const cache = new Map<string, string>();
const CACHE_LIMIT = 2000;
const CACHE_MAX_TEXT = 1000;

/** `text` with every secret found replaced by `[redacted]` (keys and URL hosts are kept where a rule can). */
export function redact(text: string): string {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const out = text === '' || !MAY_HOLD_SECRET.test(text) ? text : mask(text, [...secretlintRanges(text), ...ownRanges(text)]);
  // Evidence lines repeat cycle after cycle; a small memo of short texts keeps redaction off the hot path
  // (whole screens, served on request, are not worth holding).
  if (text.length > CACHE_MAX_TEXT) return out;
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(text, out);
  return out;
}

/** Every string inside `value` (arrays and plain objects, as in an explain trace) redacted; other values as they are. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map(redactDeep) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)])) as T;
  }
  return value;
}

function ownRanges(text: string): Range[] {
  const ranges: Range[] = [];
  for (const re of OWN_RULES) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const keep = m[1] !== undefined && m[1] !== m[0] ? m[1].length : 0;
      if (m[0].length > keep) ranges.push([m.index + keep, m.index + m[0].length]);
      if (m[0].length === 0) re.lastIndex++;
    }
  }
  return ranges;
}

/** Merged ranges, each replaced by the mask. */
function mask(text: string, ranges: Range[]): string {
  if (ranges.length === 0) return text;
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [start, end] of sorted) {
    if (start < at) {
      at = Math.max(at, end); // overlaps the range just masked
      continue;
    }
    out += text.slice(at, start) + MASK;
    at = end;
  }
  return out + text.slice(at);
}

interface Scanner {
  scan(source: SecretLintSourceCode, found: Range[]): void;
}

/**
 * secretlint's rules run through their own rule interface (`create(context).file(source)`), synchronously: every
 * scanner of the preset reports while it runs. Its comment filter is left out (pane text must not turn it off).
 */
function createScanners(): Scanner[] {
  let sink: Range[] = [];
  const context: SecretLintRuleContext = {
    sharedOptions: {},
    createTranslator: () => ((id: string) => ({ message: id, data: {} })) as never,
    report: (d) => sink.push([d.range[0], d.range[1]]),
    ignore: () => undefined,
  };
  return (secretlintRules as unknown as SecretLintRuleCreator[])
    .filter((rule) => rule.meta.type === 'scanner')
    .map((rule) => {
      const handler = rule.create(context, {});
      return {
        scan(source, found) {
          sink = found;
          void handler.file?.(source);
        },
      };
    });
}

function secretlintRanges(text: string): Range[] {
  const found: Range[] = [];
  const source = sourceOf(text);
  for (const scanner of scanners) scanner.scan(source, found);
  return found;
}

function sourceOf(content: string): SecretLintSourceCode {
  return {
    hasBOM: false,
    content,
    filePath: undefined,
    physicalFilePath: undefined,
    contentType: 'text',
    ext: '',
    getFilePath: () => undefined,
    getPhysicalFilePath: () => undefined,
  } as unknown as SecretLintSourceCode;
}
