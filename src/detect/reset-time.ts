// When does a rate limit lift? Turns the phrases agents print ("resets 3pm (Europe/Berlin)", "try again in
// 2 hours 5 minutes", "retry after 30s", an ISO stamp) into an ISO instant, relative to `now`.

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function unitOf(word: string): number | undefined {
  const w = word.toLowerCase();
  if (/^(s|sec|secs|second|seconds)$/.test(w)) return UNIT_MS.s;
  if (/^(m|min|mins|minute|minutes)$/.test(w)) return UNIT_MS.m;
  if (/^(h|hr|hrs|hour|hours)$/.test(w)) return UNIT_MS.h;
  if (/^(d|day|days)$/.test(w)) return UNIT_MS.d;
  return undefined;
}

/** "2 hours 5 minutes", "5m30s", "30 seconds", "1h" → ms; undefined when there is no duration. */
function parseDuration(text: string): number | undefined {
  let total = 0;
  let found = false;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)/gi)) {
    const unit = unitOf(m[2]!);
    if (unit === undefined) break;
    total += Number(m[1]) * unit;
    found = true;
  }
  return found ? total : undefined;
}

/** Offset (ms) of `timeZone` from UTC at instant `at`. */
function zoneOffsetMs(timeZone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(at));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** The next instant after `now` whose wall clock in `timeZone` (default: local) reads hour:minute. */
function nextWallClock(now: number, hour: number, minute: number, timeZone?: string): number {
  const offset = (t: number) => (timeZone ? zoneOffsetMs(timeZone, t) : -new Date(t).getTimezoneOffset() * 60_000);
  const wallNow = new Date(now + offset(now));
  let candidate = Date.UTC(wallNow.getUTCFullYear(), wallNow.getUTCMonth(), wallNow.getUTCDate(), hour, minute);
  candidate -= offset(candidate - offset(now));
  if (candidate <= now) candidate += UNIT_MS.d!;
  return candidate;
}

function validZone(zone: string | undefined): string | undefined {
  if (!zone) return undefined;
  if (/^(UTC|GMT)$/i.test(zone)) return 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone;
  } catch {
    return undefined;
  }
}

export function parseResetTime(text: string, now: number): string | undefined {
  const iso = /\b(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)/.exec(text);
  if (iso) {
    const t = Date.parse(iso[1]!.replace(' ', 'T'));
    if (!Number.isNaN(t)) return new Date(t).toISOString();
  }
  const relative = /\b(?:in|after)\s+((?:\d+(?:\.\d+)?\s*[a-z]+[\s,]*(?:and\s+)?)+)/i.exec(text);
  if (relative) {
    const ms = parseDuration(relative[1]!);
    if (ms !== undefined) return new Date(now + ms).toISOString();
  }
  const clock = /\b(?:at|resets?|until)\s+(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)?(?:\s*\(?((?:UTC|GMT)\b|[A-Za-z_]+\/[A-Za-z_+-]+(?:\/[A-Za-z_+-]+)?)\)?)?/i.exec(text);
  if (clock && (clock[2] !== undefined || clock[3] !== undefined)) {
    let hour = Number(clock[1]);
    const minute = Number(clock[2] ?? 0);
    const meridiem = clock[3]?.toLowerCase().replace(/\./g, '');
    if (meridiem === 'pm' && hour < 12) hour += 12;
    if (meridiem === 'am' && hour === 12) hour = 0;
    if (hour < 24 && minute < 60) return new Date(nextWallClock(now, hour, minute, validZone(clock[4]))).toISOString();
  }
  return undefined;
}
