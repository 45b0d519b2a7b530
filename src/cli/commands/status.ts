// `paneward status`: every agent the server knows, as a table (target, kind, state, for, evidence), those that need
// a human first; or the records as JSON.
import { z } from 'zod';
import { AgentPageSchema, type AgentSchema } from '../../schemas.ts';
import { getJson, serverFromEnv, type ServerAddress } from '../client.ts';
import { commandWithOptions, FILTER_HELP, FILTER_OPTIONS, filterOf } from '../args.ts';
import { age, colourState, table, urgency, wantsColour } from '../format.ts';

type Agent = z.infer<typeof AgentSchema>;

const HELP = `usage: paneward status [--state S] [--kind K] [--session NAME] [--monitor ID] [--json]

Lists the agents of the paneward server at PANEWARD_URL (default http://127.0.0.1:7700), those that need a human
(waiting, error, rate_limited, stuck, crashed) first.

${FILTER_HELP}
  --json          the agent records as a JSON array
  --wide          also the agent id and monitor
`;

const OPTIONS = {
  ...FILTER_OPTIONS,
  json: { type: 'boolean', default: false },
  wide: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Every page of GET /v1/agents with the filter. */
export async function listAgents(server: ServerAddress, filter: Record<string, string | undefined>): Promise<Agent[]> {
  const agents: Agent[] = [];
  let cursor: string | undefined;
  do {
    const page = await getJson(server, '/v1/agents', AgentPageSchema, { ...filter, limit: '1000', cursor });
    agents.push(...page.agents);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return agents;
}

function render(agents: Agent[], wide: boolean, colour: boolean, width: number | undefined): string {
  const now = Date.now();
  const sorted = [...agents].sort((a, b) => urgency(a.state) - urgency(b.state) || a.target.localeCompare(b.target, 'en', { numeric: true }));
  const head = wide ? ['ID', 'MONITOR', 'TARGET', 'KIND', 'STATE', 'FOR', 'EVIDENCE'] : ['TARGET', 'KIND', 'STATE', 'FOR', 'EVIDENCE'];
  const rows = sorted.map((a) => {
    const cells = [a.target, a.kind, colourState(a.state, colour) + (a.stale ? ' (stale)' : ''), age(a.stateSince, now), oneLine(a.detail.evidence)];
    return wide ? [a.id, a.monitor, ...cells] : cells;
  });
  return table([head, ...rows], width);
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

const status = commandWithOptions({
  summary: 'list agents and their states (a table, or --json)',
  help: HELP,
  options: OPTIONS,
  async run({ values: opts }) {
    const agents = await listAgents(serverFromEnv(), filterOf(opts));
    if (opts.json) {
      process.stdout.write(JSON.stringify(agents, null, 2) + '\n');
    } else if (agents.length === 0) {
      process.stdout.write('No agents.\n');
    } else {
      const tty = process.stdout.isTTY ? process.stdout.columns : undefined;
      process.stdout.write(render(agents, opts.wide, wantsColour(process.stdout), tty) + '\n');
    }
    return 0;
  },
});
export default status;
