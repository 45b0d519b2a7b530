// `paneward watch`: live state transitions from the server's event stream (GET /v1/events), one line each, until
// interrupted. The EventSource client reconnects with Last-Event-ID by itself, so a restart of the server or a
// dropped connection loses no transition.
import { EventSource, type ErrorEvent } from 'eventsource';
import { z } from 'zod';
import { AgentSchema } from '../../schemas.ts';
import { authHeaders, serverFromEnv, type ServerAddress } from '../client.ts';
import { commandWithOptions, FILTER_HELP, FILTER_OPTIONS, filterOf } from '../args.ts';
import { colourState, wantsColour } from '../format.ts';

type Agent = z.infer<typeof AgentSchema>;

const SnapshotSchema = z.object({ agents: z.array(AgentSchema), seq: z.number().int() });
const RemovedSchema = z.object({ id: z.string() });

const HELP = `usage: paneward watch [--state S] [--kind K] [--session NAME] [--monitor ID] [--json]

Prints every state transition of the agents of the paneward server at PANEWARD_URL as it happens, until Ctrl+C.

${FILTER_HELP}
  --json          each event as one JSON line
`;

const OPTIONS = {
  ...FILTER_OPTIONS,
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

interface Printer {
  snapshot(agents: Agent[], seq: number): void;
  agent(agent: Agent, seq: string): void;
  removed(id: string, seq: string): void;
}

/** Human lines: a transition when an agent's state moves (or it appears), and when it goes. */
function linePrinter(colour: boolean): Printer {
  const known = new Map<string, Agent>();
  const time = () => new Date().toTimeString().slice(0, 8);
  const write = (text: string) => process.stdout.write(`${time()}  ${text}\n`);
  return {
    snapshot(agents) {
      const first = known.size === 0;
      known.clear();
      for (const a of agents) known.set(a.id, a);
      if (first) write(`watching ${agents.length} agent${agents.length === 1 ? '' : 's'}`);
    },
    agent(agent) {
      const before = known.get(agent.id);
      known.set(agent.id, agent);
      if (before?.state === agent.state) return;
      const from = before ? `${colourState(before.state, colour)} → ` : 'new, ';
      const evidence = agent.detail.evidence.replace(/\s+/g, ' ').trim();
      write(`${agent.target}  ${agent.kind}  ${from}${colourState(agent.state, colour)}${evidence ? `  ${evidence}` : ''}`);
    },
    removed(id) {
      const before = known.get(id);
      known.delete(id);
      write(`${before?.target ?? id}  gone`);
    },
  };
}

function jsonPrinter(): Printer {
  const write = (event: object) => process.stdout.write(JSON.stringify(event) + '\n');
  return {
    snapshot: (agents, seq) => write({ type: 'snapshot', seq, agents }),
    agent: (agent, seq) => write({ type: 'agent', seq: Number(seq), agent }),
    removed: (id, seq) => write({ type: 'removed', seq: Number(seq), id }),
  };
}

function streamUrl(server: ServerAddress, filter: Record<string, string | undefined>): URL {
  const url = new URL('/v1/events', server.url);
  for (const [k, v] of Object.entries(filter)) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

/** Follows the stream until SIGINT/SIGTERM (exit 0) or an error the client cannot retry (exit 1). */
function follow(server: ServerAddress, url: URL, print: Printer): Promise<number> {
  const source = new EventSource(url, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...authHeaders(server) } }),
  });
  return new Promise((resolve) => {
    const stop = (code: number) => {
      source.close();
      process.off('SIGINT', interrupted);
      process.off('SIGTERM', interrupted);
      resolve(code);
    };
    const interrupted = () => stop(0);
    process.on('SIGINT', interrupted);
    process.on('SIGTERM', interrupted);
    source.addEventListener('snapshot', (e) => {
      const { agents, seq } = SnapshotSchema.parse(JSON.parse(e.data));
      print.snapshot(agents, seq);
    });
    source.addEventListener('agent', (e) => print.agent(AgentSchema.parse(JSON.parse(e.data)), e.lastEventId));
    source.addEventListener('removed', (e) => print.removed(RemovedSchema.parse(JSON.parse(e.data)).id, e.lastEventId));
    let warned = false;
    source.addEventListener('open', () => (warned = false));
    source.addEventListener('error', (e: ErrorEvent) => {
      if (source.readyState === EventSource.CLOSED) {
        const why = e.code ? `${e.code}${e.code === 401 ? ' (set API_TOKEN)' : e.code === 404 ? ' (a server without /v1/events?)' : ''}` : (e.message ?? 'closed');
        process.stderr.write(`paneward: the event stream at ${url.origin} failed: ${why}\n`);
        stop(1);
      } else if (!warned) {
        warned = true;
        process.stderr.write(`paneward: lost the event stream at ${url.origin}${e.message ? ` (${e.message})` : ''}; reconnecting…\n`);
      }
    });
  });
}

const watch = commandWithOptions({
  summary: 'print state transitions live, from the event stream',
  help: HELP,
  options: OPTIONS,
  run({ values: opts }) {
    const server = serverFromEnv();
    const url = streamUrl(server, filterOf(opts));
    return follow(server, url, opts.json ? jsonPrinter() : linePrinter(wantsColour(process.stdout)));
  },
});
export default watch;
