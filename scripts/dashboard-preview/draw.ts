// Draws the dashboard's panels as an HTML page of inline SVG, from the JSON model Grafana loads and the answers
// Prometheus gave to each panel's queries. It is not Grafana and says so at the top of the page.

export interface Series {
  label: string;
  points: Array<[number, number]>; // unix seconds, value
}

export interface PanelData {
  type: string;
  title: string;
  unit: string;
  stacked: boolean;
  redFrom: number | null;
  gridPos: { x: number; y: number; w: number; h: number };
  series: Series[];
  /** Table panels: the rows, one per series, as label columns plus the value. */
  rows?: Array<Record<string, string>>;
}

const COLUMN_PX = 1400 / 24;
const ROW_PX = 34;
const COLORS = ['#73bf69', '#f2cc0c', '#8ab8ff', '#ff780a', '#f2495c', '#5794f2', '#b877d9', '#fade2a', '#37872d', '#c4162a', '#1f60c4', '#8f3bb8'];

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '–';
  switch (unit) {
    case 's':
      if (value < 1) return `${(value * 1000).toPrecision(3)} ms`;
      if (value < 120) return `${value.toFixed(1)} s`;
      if (value < 7200) return `${(value / 60).toFixed(1)} min`;
      return `${(value / 3600).toFixed(1)} h`;
    case 'percentunit':
      return `${(value * 100).toFixed(1)}%`;
    case 'bytes':
      return `${(value / 1048576).toFixed(0)} MiB`;
    case 'ops':
      return `${value.toPrecision(3)}/s`;
    default:
      return Number.isInteger(value) ? String(value) : value.toPrecision(3);
  }
}

function stackedSeries(series: Series[]): Series[] {
  const totals = new Map<number, number>();
  return series.map((s) => ({
    label: s.label,
    points: s.points.map(([t, v]) => {
      const sum = (totals.get(t) ?? 0) + v;
      totals.set(t, sum);
      return [t, sum] as [number, number];
    }),
  }));
}

function timeseries(panel: PanelData, width: number, height: number): string {
  const drawn = panel.stacked ? stackedSeries(panel.series) : panel.series;
  const all = drawn.flatMap((s) => s.points).filter(([, v]) => Number.isFinite(v));
  if (all.length === 0) return noData();
  const [t0, t1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  const top = Math.max(...all.map((p) => p[1])) * 1.1 || 1;
  const legendRows = Math.ceil(drawn.length / 3);
  const plotH = height - 18 * legendRows - 8;
  const x = (t: number) => 48 + ((t - t0) / (t1 - t0 || 1)) * (width - 56);
  const y = (v: number) => 4 + plotH - (v / top) * plotH;
  const grid = [0, 0.5, 1].map((f) => `<line x1="48" x2="${width - 8}" y1="${y(top * f)}" y2="${y(top * f)}" class="grid"/><text x="44" y="${y(top * f) + 4}" class="axis">${esc(formatValue(top * f, panel.unit))}</text>`).join('');
  const lines = drawn
    .map((s, i) => {
      const pts = s.points.filter(([, v]) => Number.isFinite(v)).map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`);
      const color = COLORS[i % COLORS.length];
      const area = panel.stacked && pts.length > 1 ? `<polygon points="${x(s.points[0]![0])},${y(0)} ${pts.join(' ')} ${x(s.points.at(-1)![0])},${y(0)}" fill="${color}" fill-opacity="0.25"/>` : '';
      return `${area}<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="1.5"/>`;
    })
    .reverse()
    .join('');
  const legend = drawn.map((s, i) => `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${esc(s.label)}</span>`).join('');
  return `<svg width="${width}" height="${plotH + 8}">${grid}${lines}</svg><div class="legend">${legend}</div>`;
}

function stat(panel: PanelData): string {
  const values = panel.series.map((s) => s.points.at(-1)?.[1] ?? NaN);
  if (values.length === 0) return noData();
  return values
    .map((v, i) => {
      const red = panel.redFrom !== null && v >= panel.redFrom;
      const label = panel.series.length > 1 ? `<div class="statlabel">${esc(panel.series[i]!.label)}</div>` : '';
      return `<div class="stat ${red ? 'red' : 'green'}">${label}${esc(formatValue(v, panel.unit))}</div>`;
    })
    .join('');
}

function table(panel: PanelData): string {
  const rows = panel.rows ?? [];
  if (rows.length === 0) return noData();
  const columns = Object.keys(rows[0]!);
  const head = columns.map((c) => `<th>${esc(c)}</th>`).join('');
  const body = rows.map((r) => `<tr>${columns.map((c) => `<td>${esc(r[c] ?? '')}</td>`).join('')}</tr>`).join('');
  return `<table><tr>${head}</tr>${body}</table>`;
}

function bars(panel: PanelData, width: number): string {
  const values = panel.series.map((s) => ({ label: s.label, v: s.points.at(-1)?.[1] ?? 0 }));
  if (values.length === 0) return noData();
  const max = Math.max(...values.map((b) => b.v)) || 1;
  return values
    .map((b, i) => `<div class="bar"><span>${esc(b.label)}</span><b style="width:${((b.v / max) * (width - 180)).toFixed(0)}px;background:${COLORS[i % COLORS.length]}"></b>${esc(formatValue(b.v, panel.unit))}</div>`)
    .join('');
}

const noData = () => '<div class="nodata">No data</div>';

function panelBody(panel: PanelData, width: number, height: number): string {
  if (panel.type === 'timeseries') return timeseries(panel, width, height);
  if (panel.type === 'stat') return stat(panel);
  if (panel.type === 'table') return table(panel);
  if (panel.type === 'bargauge') return bars(panel, width);
  return noData();
}

function panelBox(panel: PanelData): string {
  const { x, y, w, h } = panel.gridPos;
  const [left, top, width, height] = [x * COLUMN_PX + 4, y * ROW_PX + 4, w * COLUMN_PX - 8, h * ROW_PX - 8];
  const style = `left:${left}px;top:${top}px;width:${width}px;height:${height}px`;
  if (panel.type === 'row') return `<div class="row" style="${style}">${esc(panel.title)}</div>`;
  return `<div class="panel" style="${style}"><h3>${esc(panel.title)}</h3>${panelBody(panel, width - 16, height - 40)}</div>`;
}

const STYLE = `
body{margin:0;background:#111217;color:#ccccdc;font:13px Inter,Helvetica,Arial,sans-serif}
.banner{background:#3d2b00;color:#ffd666;padding:10px 16px;font-size:13px;border-bottom:1px solid #6b4f00}
.grid-area{position:relative;margin:8px}
.panel{position:absolute;background:#181b1f;border:1px solid #2c3235;border-radius:3px;padding:6px 8px;box-sizing:border-box;overflow:hidden}
.panel h3{margin:0 0 6px;font-size:13px;font-weight:500;color:#d8d9da}
.row{position:absolute;font-size:16px;font-weight:500;color:#d8d9da;padding-top:8px}
svg .grid{stroke:#2c3235} svg .axis{fill:#8e8e8e;font-size:10px;text-anchor:end}
.legend{font-size:11px;display:flex;flex-wrap:wrap;gap:2px 12px}.legend i{display:inline-block;width:10px;height:3px;margin-right:4px;vertical-align:middle}
.stat{font-size:30px;font-weight:500;padding:8px 10px;border-radius:3px;margin-bottom:4px;color:#fff}.stat.green{background:#1a7f37}.stat.red{background:#c4162a}
.statlabel{font-size:11px;font-weight:400}
table{border-collapse:collapse;width:100%;font-size:12px}th{text-align:left;color:#6e9fff;border-bottom:1px solid #2c3235;padding:3px 6px}td{padding:3px 6px;border-bottom:1px solid #202226}
.bar{display:flex;align-items:center;gap:8px;font-size:12px;margin:4px 0}.bar span{width:90px}.bar b{height:14px;display:inline-block}
.nodata{color:#8e8e8e;padding:20px;text-align:center}`;

export function drawPage(panels: PanelData[], banner: string): { html: string; height: number } {
  const bottom = Math.max(...panels.map((p) => (p.gridPos.y + p.gridPos.h) * ROW_PX));
  const html = `<!doctype html><html><head><meta charset="utf-8"><style>${STYLE}</style></head><body><div class="banner">${esc(banner)}</div><div class="grid-area" style="height:${bottom}px">${panels.map(panelBox).join('')}</div></body></html>`;
  return { html, height: bottom + 110 }; // the banner and margins
}
