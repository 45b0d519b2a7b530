// @ts-check
// Keeps the fleet current: the change stream (GET /v1/events, read with fetch() so it can carry the token in a
// header, which EventSource cannot), and where the server has no stream, polling GET /v1/agents?since=.
// @ts-ignore -- routes/board.ts serves this file from the eventsource-parser package; typed just below
import { createParser as untypedCreateParser } from './vendor/eventsource-parser/index.js';
import { apiFetch, capabilities, getJson } from './api.js';

/** @typedef {import('./types.js').Agent} Agent */
/**
 * @typedef {object} FeedHandlers
 * @property {(agents: Agent[]) => void} snapshot every agent, replacing what was known
 * @property {(agent: Agent) => void} agent one agent, new or changed
 * @property {(id: string) => void} removed
 * @property {(status: FeedStatus) => void} status
 */
/** @typedef {{ mode: 'stream' | 'poll', state: 'connecting' | 'live' | 'retrying', detail?: string }} FeedStatus */

/** @type {typeof import('eventsource-parser').createParser} */
const createParser = untypedCreateParser;

const POLL_MS = 1000;
const RETRY_MS = 2000;
const MAX_RETRY_MS = 30_000;

/**
 * Starts the feed; `prefer: 'poll'` skips the stream (the URL fragment #feed=poll, for comparison and tests).
 * @param {FeedHandlers} on
 * @param {{ prefer?: 'stream' | 'poll' }} [opts]
 */
export async function startFeed(on, opts = {}) {
  const wantStream = opts.prefer !== 'poll' && (await capabilities()).events;
  if (wantStream && (await followStream(on))) return;
  await poll(on);
}

/**
 * Reads /v1/events until the page closes, reconnecting with Last-Event-ID. Resolves false when the server has
 * no stream (404), so the caller polls instead.
 * @param {FeedHandlers} on
 */
async function followStream(on) {
  /** @type {{ lastId: string | null, retryMs: number }} */
  const position = { lastId: null, retryMs: RETRY_MS };
  let failures = 0;
  for (;;) {
    on.status({ mode: 'stream', state: failures ? 'retrying' : 'connecting' });
    try {
      const res = await apiFetch('v1/events', { headers: streamHeaders(position.lastId) });
      if (res.status === 404) return false;
      if (!res.ok || !res.body) throw new Error(`the stream answered ${res.status}`);
      failures = 0;
      on.status({ mode: 'stream', state: 'live' });
      await readEvents(res.body, position, on);
      on.status({ mode: 'stream', state: 'retrying', detail: 'the stream ended' });
    } catch (err) {
      failures++;
      on.status({ mode: 'stream', state: 'retrying', detail: err instanceof Error ? err.message : String(err) });
    }
    await sleep(Math.min(MAX_RETRY_MS, position.retryMs * 2 ** Math.min(failures, 4)));
  }
}

/** @param {string | null} lastId */
function streamHeaders(lastId) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'text/event-stream' };
  if (lastId !== null) headers['last-event-id'] = lastId;
  return headers;
}

/**
 * @param {ReadableStream<Uint8Array>} body
 * @param {{ lastId: string | null, retryMs: number }} position updated as events arrive
 * @param {FeedHandlers} on
 */
async function readEvents(body, position, on) {
  const parser = createParser({
    onEvent(message) {
      const data = JSON.parse(message.data);
      if (message.event === 'snapshot') {
        on.snapshot(data.agents);
        position.lastId = String(data.seq);
      } else if (message.event === 'agent') {
        on.agent(data);
      } else if (message.event === 'removed') {
        on.removed(data.id);
      }
      if (message.id) position.lastId = message.id;
    },
    onRetry(ms) {
      position.retryMs = ms;
    },
  });
  // TextDecoderStream's declared input (BufferSource) is wider than the body's chunks, which it accepts.
  const decoder = /** @type {TransformStream<Uint8Array, string>} */ (/** @type {unknown} */ (new TextDecoderStream()));
  const reader = body.pipeThrough(decoder).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    parser.feed(value);
  }
}

/**
 * Every agent (page by page), then the changes after its sequence number, once a second.
 * @param {FeedHandlers} on
 */
async function poll(on) {
  /** @type {number | null} */
  let seq = null;
  for (;;) {
    try {
      on.status({ mode: 'poll', state: seq === null ? 'connecting' : 'live' });
      if (seq === null) seq = await readAll(on);
      else seq = await readChanges(on, seq);
      on.status({ mode: 'poll', state: 'live' });
    } catch (err) {
      on.status({ mode: 'poll', state: 'retrying', detail: err instanceof Error ? err.message : String(err) });
    }
    await sleep(POLL_MS);
  }
}

/** @param {FeedHandlers} on @returns {Promise<number>} the sequence number of the first page */
async function readAll(on) {
  const { agents, seq } = await readEveryAgent();
  on.snapshot(agents);
  return seq;
}

/**
 * Every agent, page by page, and the sequence number of the first page (changes during the paging come after it).
 * @returns {Promise<{ agents: Agent[], seq: number }>}
 */
export async function readEveryAgent() {
  /** @type {import('./types.js').AgentPage} */
  let page = await getJson('v1/agents?limit=1000');
  const seq = page.seq;
  const agents = [...page.agents];
  while (page.nextCursor) {
    page = await getJson(`v1/agents?limit=1000&cursor=${encodeURIComponent(page.nextCursor)}`);
    agents.push(...page.agents);
  }
  return { agents, seq };
}

/** @param {FeedHandlers} on @param {number} since @returns {Promise<number>} */
async function readChanges(on, since) {
  /** @type {import('./types.js').AgentPage} */
  const page = await getJson(`v1/agents?since=${since}`);
  if (page.full) on.snapshot(page.agents);
  else {
    for (const agent of page.agents) on.agent(agent);
    for (const id of page.removed ?? []) on.removed(id);
  }
  return page.seq;
}

const MONITOR_CHECK_MS = 5000;

/**
 * @typedef {object} MonitorHealth
 * @property {boolean} storeUp false while the store is away and answers come from memory
 * @property {{ socket: string, reason: string | null }[]} tmuxDown tmux servers that do not answer
 */

/**
 * Reads the monitor's health (GET /v1/monitor, memory only on the server) every few seconds. The records cannot
 * say it all: while nothing changes, no record arrives to say it is served from memory now.
 * @param {(health: MonitorHealth) => void} report
 */
export async function watchMonitor(report) {
  for (;;) {
    await sleep(MONITOR_CHECK_MS);
    try {
      const monitor = await getJson('v1/monitor');
      /** @type {{ socket: string, up: boolean, reason: string | null }[]} */
      const servers = monitor.tmux ?? [];
      report({
        storeUp: monitor.store?.up !== false,
        tmuxDown: servers.filter((s) => !s.up).map(({ socket, reason }) => ({ socket, reason })),
      });
    } catch {
      // the feed shows an unreachable server
    }
  }
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
