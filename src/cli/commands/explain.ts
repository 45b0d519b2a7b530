// `paneward explain <id|target>`: why an agent is in its state, from GET /v1/agents/{id}/explain, in words: how its
// kind was found, the rule that decided and its evidence, the rules that matched, and what stability held back.
import { z } from 'zod';
import type { DetectionTrace, RuleAttempt } from '../../detect/types.ts';
import { AgentSchema } from '../../schemas.ts';
import { commandWithOptions } from '../args.ts';
import { getJson, serverFromEnv, type ServerAddress } from '../client.ts';
import { UsageError } from '../command.ts';
import { age, colourState, wantsColour } from '../format.ts';
import { listAgents } from './status.ts';

type Agent = z.infer<typeof AgentSchema>;

const ExplainSchema = z.object({ id: z.string(), trace: z.custom<DetectionTrace>((v) => typeof v === 'object' && v !== null) });

const HELP = `usage: paneward explain <agent id | session:window.pane> [--all] [--json]

Explains why an agent is in its state: how its kind was found, which rule decided and on which line, the other
rules that matched, and whether a newer state is still waiting for confirmation.

  --all   list every rule tried, not only those that matched
  --json  the raw trace
`;

const OPTIONS = {
  all: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** The agent named by id, or by target (session:window.pane) when no id matches; ambiguity is an error. */
async function findAgent(server: ServerAddress, name: string): Promise<Agent> {
  const agents = await listAgents(server, {});
  const byId = agents.find((a) => a.id === name);
  if (byId) return byId;
  const byTarget = agents.filter((a) => a.target === name);
  if (byTarget.length === 1) return byTarget[0]!;
  if (byTarget.length > 1) throw new Error(`${name} is a target on ${byTarget.length} monitors or servers: name one of ${byTarget.map((a) => a.id).join(', ')}`);
  throw new Error(`no agent with id or target ${name} (see \`paneward status\`)`);
}

function ruleLine(rule: RuleAttempt): string {
  const mark = rule.matched ? '✓' : '✗';
  const why = rule.matched ? (rule.evidence ? `  "${rule.evidence}"` : '') : rule.note ? `  (${rule.note})` : '';
  return `    ${mark} ${rule.id}  priority ${rule.priority}, ${rule.region} → ${rule.state}${why}`;
}

function render(agent: Agent, trace: DetectionTrace, all: boolean, colour: boolean): string {
  const now = Date.now();
  const { detail } = trace.published;
  const stability = trace.stability.pending
    ? `${trace.stability.pending} seen ${trace.stability.confirmations} of ${trace.stability.required} times, not yet published`
    : trace.stability.immediate
      ? 'published at once (no confirmation needed)'
      : 'confirmed';
  const rules = all ? trace.rules : trace.rules.filter((r) => r.matched);
  const lines = [
    `${agent.kind} in ${agent.target} (${agent.id}) is ${colourState(trace.published.state, colour)} for ${age(agent.stateSince, now)}`,
    `  kind:       ${trace.kind}: ${trace.kindReason}${trace.profile ? ` (profile ${trace.profile})` : ''}`,
    `  decided by: ${detail.rule} (confidence ${detail.confidence})${detail.evidence ? `: "${detail.evidence}"` : ''}`,
    `  why:        ${trace.decision}`,
    `  candidate:  ${trace.candidate.state} by ${trace.candidate.detail.rule}`,
    `  stability:  ${stability}`,
    `  activity:   screen changed ${age(trace.activity.screenChangedAt, now)} ago` +
      (trace.activity.meaningfulChangeAt ? `, last real change ${age(trace.activity.meaningfulChangeAt, now)} ago` : ''),
    `  rules:      ${trace.rules.length} tried, ${trace.matched.length} matched${all ? '' : ' (--all lists every one)'}`,
    ...rules.map(ruleLine),
  ];
  return lines.join('\n') + '\n';
}

const explain = commandWithOptions({
  summary: 'explain why an agent is in its state',
  help: HELP,
  options: OPTIONS,
  positionals: true,
  async run({ values, positionals }) {
    if (positionals.length !== 1) throw new UsageError('name one agent: its id or its target (session:window.pane)');
    const server = serverFromEnv();
    const agent = await findAgent(server, positionals[0]!);
    const { trace } = await getJson(server, `/v1/agents/${encodeURIComponent(agent.id)}/explain`, ExplainSchema);
    process.stdout.write(values.json ? JSON.stringify(trace, null, 2) + '\n' : render(agent, trace, values.all, wantsColour(process.stdout)));
    return 0;
  },
});
export default explain;
