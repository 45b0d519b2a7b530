// Turns the dashboard's rows of panel specs (dashboard.ts) into the JSON model Grafana provisions.
import { ROWS, type PanelSpec, type RowSpec } from './dashboard.ts';

export const DASHBOARD_UID = 'paneward';
const GRID_WIDTH = 24;
const DEFAULT_HEIGHT = 7;
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

type Json = Record<string, unknown>;

/** Lays rows out top to bottom and panels left to right, wrapping at Grafana's 24 columns. */
export function renderDashboard(rows: RowSpec[] = ROWS): Json {
  const panels: Json[] = [];
  let y = 0;
  let id = 1;
  for (const row of rows) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: GRID_WIDTH, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const spec of row.panels) {
      const h = spec.height ?? DEFAULT_HEIGHT;
      if (x + spec.width > GRID_WIDTH) {
        y += rowHeight;
        x = 0;
        rowHeight = 0;
      }
      panels.push(renderPanel(spec, id++, { h, w: spec.width, x, y }));
      x += spec.width;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  return {
    uid: DASHBOARD_UID,
    title: 'paneward',
    description: 'AI coding agents in tmux: who needs a human, the poll loop, tmux, Redis and webhooks',
    tags: ['paneward'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    refresh: '10s',
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-1h', to: 'now' },
    templating: { list: [datasourceVariable(), instanceVariable()] },
    annotations: { list: [] },
    panels,
  };
}

function renderPanel(spec: PanelSpec, id: number, gridPos: Json): Json {
  return {
    id,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos,
    targets: spec.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: q.expr,
      legendFormat: q.legend ?? '__auto',
      ...(q.instant || spec.type === 'table' ? { instant: true, range: false, format: 'table' } : { range: true }),
    })),
    fieldConfig: { defaults: fieldDefaults(spec), overrides: [] },
    options: panelOptions(spec),
    ...(spec.type === 'table' ? { transformations: [tableColumns()] } : {}),
  };
}

function fieldDefaults(spec: PanelSpec): Json {
  const thresholds = {
    mode: 'absolute',
    steps: [{ color: 'green', value: null }, ...(spec.redFrom === undefined ? [] : [{ color: 'red', value: spec.redFrom }])],
  };
  const custom = spec.type === 'timeseries' ? { fillOpacity: spec.stacked ? 60 : 10, lineWidth: 1, stacking: { mode: spec.stacked ? 'normal' : 'none' } } : {};
  return { unit: spec.unit ?? 'short', thresholds, color: { mode: spec.type === 'stat' ? 'thresholds' : 'palette-classic' }, custom };
}

function panelOptions(spec: PanelSpec): Json {
  switch (spec.type) {
    case 'stat':
      return { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background', graphMode: 'area', textMode: 'auto' };
    case 'bargauge':
      return { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, orientation: 'horizontal', displayMode: 'basic' };
    case 'table':
      return { showHeader: true, sortBy: [{ displayName: 'for', desc: true }] };
    case 'timeseries':
      return { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } };
  }
}

/** The waiting table shows target, kind, state and how long, not Prometheus' bookkeeping columns. */
function tableColumns(): Json {
  return {
    id: 'organize',
    options: {
      excludeByName: { Time: true, __name__: true, job: true, id: false },
      indexByName: { target: 0, kind: 1, state: 2, Value: 3, id: 4, instance: 5 },
      renameByName: { Value: 'for' },
    },
  };
}

function datasourceVariable(): Json {
  return { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0 };
}

function instanceVariable(): Json {
  return {
    name: 'instance',
    label: 'paneward',
    type: 'query',
    datasource: DATASOURCE,
    query: { query: 'label_values(paneward_agents, instance)', refId: 'instance' },
    definition: 'label_values(paneward_agents, instance)',
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: '.+',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: 1,
  };
}
