// The committed Grafana dashboard is the one deploy/grafana/dashboard.ts renders, laid out without overlaps.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderDashboard } from '../../deploy/grafana/render.ts';

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Array<{ expr: string; refId: string }>;
}

const committed = JSON.parse(readFileSync(new URL('../../deploy/grafana/dashboards/paneward.json', import.meta.url), 'utf8'));

test('deploy/grafana/dashboards/paneward.json is up to date with dashboard.ts (run npm run dashboard)', () => {
  assert.deepEqual(committed, renderDashboard());
});

test('every panel has a unique id, a query, and a place of its own on the 24-column grid', () => {
  const panels = committed.panels as Panel[];
  assert.equal(new Set(panels.map((p) => p.id)).size, panels.length);
  const cells = new Set<string>();
  for (const p of panels) {
    if (p.type !== 'row') assert.ok((p.targets ?? []).length > 0, `${p.title} has a query`);
    assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits in 24 columns`);
    for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
      for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
        assert.ok(!cells.has(`${x},${y}`), `${p.title} overlaps another panel at ${x},${y}`);
        cells.add(`${x},${y}`);
      }
    }
  }
});

test('the panels the issue asks for are there', () => {
  const titles = (committed.panels as Panel[]).map((p) => p.title.toLowerCase()).join('\n');
  for (const wanted of ['agents by state', 'who needs a human', 'cycle time p50 / p99', 'phases', 'pool', 'cache hit ratio', 'tmux commands', 'redis', 'webhook']) {
    assert.ok(titles.includes(wanted), `a panel about "${wanted}"`);
  }
});
