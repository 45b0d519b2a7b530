// What the loop remembers of each live pane between cycles, and whether a pane's new classification is worth a
// store write: a change is written in the cycle, a due TTL refresh after it, anything else not at all.
import { createHash } from 'node:crypto';
import type { AgentObservation } from '../agents/model.ts';
import type { Classification } from '../detect/types.ts';
import type { PaneInfo } from '../tmux/types.ts';

/** What the loop remembers of one live pane between cycles. */
export interface Tracked {
  pane: PaneInfo;
  screen: string;
  screenHash: string;
  screenChangedAt: number;
  classification: Classification | null;
  /** What the store was last given, or told nothing new about; null before the first write. */
  written: Written | null;
  writtenAt: number;
  /** Refreshes come this much before refreshEveryMs, so agents first written together do not refresh together. */
  refreshEarlyMs: number;
}

/**
 * The inputs and outputs of the last observation the store holds. Most panes, most cycles, come back with the
 * same classification object (the detector returns its memo), the same screen and the same pane fields: then the
 * observation would be the same too, and comparing a few references and fields replaces hashing and JSON.
 */
export interface Written {
  classification: Classification;
  screenHash: string;
  pane: PaneInfo;
  contentHash: string;
  fingerprint: string;
}

/** An observation to write, and what its pane remembers once it is written. */
export interface PendingWrite {
  observation: AgentObservation;
  t: Tracked;
  written: Written;
}

/** What every decision of one cycle shares. */
export interface DecisionContext {
  monitor: string;
  refreshEveryMs: number;
  now: number;
}

/** A write a classification asks for: a change (written in the cycle) or a due refresh (written after it). */
export interface WriteDue {
  write: 'change' | 'refresh';
  pending: PendingWrite;
}

/** A new tracked pane, first seen in a capture taken at `at`. */
export function newTracked(pane: PaneInfo, screen: string, screenHash: string, at: number, refreshEveryMs: number): Tracked {
  return {
    pane,
    screen,
    screenHash,
    screenChangedAt: at,
    classification: null,
    written: null,
    writtenAt: 0,
    refreshEarlyMs: Math.floor(Math.random() * (refreshEveryMs / 2)),
  };
}

export function screenHashOf(text: string): string {
  return createHash('sha1').update(text).digest('base64url');
}

/**
 * What `t`'s latest classification asks of the store: a change to write now, a refresh to write after the cycle,
 * or nothing (null; then `t` remembers the new objects, so the next cycle takes the short way again). The common
 * case, nothing moved and no refresh due, allocates nothing: it runs for every pane of every cycle.
 */
export function decideWrite(t: Tracked, c: Classification, id: string, d: DecisionContext): WriteDue | null {
  const last = t.written;
  const same = last !== null && sameContent(last, t, c);
  const unmoved = same && last.classification === c;
  const refreshDue = d.now - t.writtenAt >= d.refreshEveryMs - t.refreshEarlyMs;
  if (unmoved && !refreshDue) return null;
  const hash = same ? last.contentHash : contentHash(t.screenHash, t.pane, c);
  const observation = toObservation(d.monitor, id, t, c, hash, d.now);
  const fingerprint = unmoved ? last.fingerprint : observationFingerprint(observation);
  const written: Written = { classification: c, screenHash: t.screenHash, pane: t.pane, contentHash: hash, fingerprint };
  if (fingerprint !== last?.fingerprint) return { write: 'change', pending: { observation, t, written } };
  if (refreshDue) return { write: 'refresh', pending: { observation, t, written } };
  t.written = written;
  return null;
}

function toObservation(monitor: string, id: string, t: Tracked, c: Classification, hash: string, now: number): AgentObservation {
  const pane = t.pane;
  return {
    id,
    monitor,
    socket: pane.socket,
    target: `${pane.sessionName}:${pane.windowIndex}.${pane.paneIndex}`,
    session: pane.sessionName,
    windowIndex: pane.windowIndex,
    windowName: pane.windowName,
    paneIndex: pane.paneIndex,
    paneId: pane.paneId,
    pid: pane.panePid,
    command: pane.currentCommand,
    kind: c.kind,
    state: c.state,
    detail: c.detail,
    screenHash: hash,
    screen: t.screen,
    observedAt: now,
  };
}

/**
 * The pane fields contentHash covers: a change to any of them is a new observation. Written out rather than a
 * loop over a field list, as it runs for every pane of every cycle (see docs/performance.md).
 */
function samePaneFacts(a: PaneInfo, b: PaneInfo): boolean {
  return (
    a.sessionName === b.sessionName &&
    a.windowIndex === b.windowIndex &&
    a.paneIndex === b.paneIndex &&
    a.windowName === b.windowName &&
    a.currentCommand === b.currentCommand &&
    a.panePid === b.panePid
  );
}

/**
 * Whether `t` and `c` hash as `last` did: the same screen, pane facts, kind and source. A hook changes the
 * classification but none of these (the state is not in the hash), and hashing again cost a storm of hooks a
 * tenth of its CPU.
 */
function sameContent(last: Written, t: Tracked, c: Classification): boolean {
  const before = last.classification;
  return (
    last.screenHash === t.screenHash &&
    samePaneFacts(last.pane, t.pane) &&
    before.kind === c.kind &&
    (before.detail.source ?? '') === (c.detail.source ?? '')
  );
}

function contentHash(screenHash: string, pane: PaneInfo, c: Classification): string {
  // The detail's source too: the agent's own word replacing the screen's (same state) is news worth a version.
  const meta = [pane.sessionName, pane.windowIndex, pane.paneIndex, pane.windowName, pane.currentCommand, pane.panePid, c.kind, c.detail.source ?? ''];
  return createHash('sha1').update(screenHash).update(JSON.stringify(meta)).digest('base64url');
}

/** Everything that makes a write worth doing; observedAt alone does not. */
function observationFingerprint(o: AgentObservation): string {
  return JSON.stringify([o.state, o.screenHash, o.detail]);
}
