// The young-generation collection between cycles: there with --expose-gc (as npm start runs node), absent without.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { youngGenerationCollector } from '../../src/loop/idle-gc.ts';

const probe = `
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { youngGenerationCollector } from './src/loop/idle-gc.ts';
const kinds = [];
const observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) kinds.push(e.detail.kind); });
observer.observe({ entryTypes: ['gc'] });
const collect = youngGenerationCollector();
if (!collect) { console.log('none'); process.exit(0); }
collect();
setTimeout(() => console.log(kinds.includes(constants.NODE_PERFORMANCE_GC_MINOR) && !kinds.includes(constants.NODE_PERFORMANCE_GC_MAJOR) ? 'minor' : kinds.join(',')), 50);
`;

function run(flags: string[]): string {
  const child = spawnSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', probe], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return child.stdout.trim();
}

test('with --expose-gc the collector runs a minor collection, and only that', () => {
  assert.equal(run(['--expose-gc']), 'minor');
});

test('without --expose-gc there is no collector and the loop does without', () => {
  assert.equal(run([]), 'none');
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') assert.equal(youngGenerationCollector(), null);
});
