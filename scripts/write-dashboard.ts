// Writes deploy/grafana/dashboards/paneward.json from deploy/grafana/dashboard.ts (a test fails when it is stale).
import { writeFileSync } from 'node:fs';
import { renderDashboard } from '../deploy/grafana/render.ts';

const path = new URL('../deploy/grafana/dashboards/paneward.json', import.meta.url);
writeFileSync(path, `${JSON.stringify(renderDashboard(), null, 2)}\n`);
process.stdout.write(`wrote ${path.pathname}\n`);
