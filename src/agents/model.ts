// The agent vocabulary shared by the loop, the store, detection and the API.

export const AGENT_STATES = [
  'starting',
  'working',
  'idle',
  'waiting',
  'unsubmitted',
  'rate_limited',
  'error',
  'stuck',
  'crashed',
  'exited',
  'unknown',
] as const;
export type AgentState = (typeof AGENT_STATES)[number];

export const AGENT_KINDS = ['claude-code', 'codex', 'gemini-cli', 'aider', 'agent', 'shell', 'program'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

/** Why an agent is in its state: the rule that decided, the line that showed it, how sure we are. */
export interface StateDetail {
  rule: string;
  evidence: string;
  confidence: number; // 0..1
  resetsAt?: string; // ISO time a rate limit lifts, when the screen says
  source?: DetailSource; // who said it: the agent's own hook, or the screen (absent: the screen, before fusion)
}

/** Where a state came from: an agent's hook event, or reading its screen. */
export type DetailSource = 'hook' | 'screen';

/** What one poll cycle saw of one pane, after classification: the input of a store write. */
export interface AgentObservation {
  id: string;
  monitor: string;
  socket: string;
  target: string; // session:window.pane
  session: string;
  windowIndex: number;
  windowName: string;
  paneIndex: number;
  paneId: string; // %N
  pid: number;
  command: string;
  kind: AgentKind;
  state: AgentState;
  detail: StateDetail;
  /**
   * Hash of what the agent shows: the captured screen plus the pane's metadata (target, window name, command,
   * kind, pid). A change bumps the version like a state change does, so a renamed window is never served stale.
   */
  screenHash: string;
  /** The captured screen text (last lines), stored for GET /v1/agents/{id}/screen. */
  screen: string;
  observedAt: number; // epoch ms
}

/** A stored, versioned agent as the API serves it. */
export interface AgentRecord extends Omit<AgentObservation, 'screen' | 'screenHash' | 'observedAt'> {
  version: number;
  stateSince: string; // ISO
  observedAt: string; // ISO
  changedAt: string; // ISO
  stale: boolean;
}

export interface StateTransition {
  from: AgentState | null;
  to: AgentState;
  at: string; // ISO
  version: number;
  rule: string;
  evidence: string;
}
