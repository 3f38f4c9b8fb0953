import { html, type Node } from './html.js';

/** Horizontal bars (stage or test timings): label, value, optional second value drawn beside. */
export interface Bar {
  label: string;
  ms: number;
  /** CSS colour. */
  color?: string;
  title?: string;
}

const fmt = (ms: number) =>
  ms < 1000
    ? `${ms} ms`
    : ms < 60_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;

/** A bar chart as inline SVG (made here, on the server: no chart library, nothing fetched). */
export function barChart(bars: readonly Bar[], opts: { width?: number; labelWidth?: number; title: string }): Node {
  const width = opts.width ?? 900;
  const lw = opts.labelWidth ?? 260;
  const rowH = 16;
  const max = Math.max(1, ...bars.map((b) => b.ms));
  const scale = (width - lw - 80) / max;
  const height = bars.length * rowH + 6;
  return html`<svg role="img" aria-label=${opts.title} width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`}>
    <title>${opts.title}</title>
    ${bars.map(
      (b, i) => html`<g>
      <title>${b.title ?? `${b.label}: ${fmt(b.ms)}`}</title>
      <text x=${lw - 6} y=${i * rowH + 12} text-anchor="end">${b.label.length > 42 ? `…${b.label.slice(-41)}` : b.label}</text>
      <rect x=${lw} y=${i * rowH + 3} width=${Math.max(1, b.ms * scale)} height=${rowH - 5} fill=${b.color ?? '#0969da'} />
      <text x=${lw + Math.max(1, b.ms * scale) + 4} y=${i * rowH + 12}>${fmt(b.ms)}</text>
    </g>`,
    )}
  </svg>`;
}

export interface StripCell {
  outcome: 'pass' | 'fail' | 'skip' | 'none';
  title: string;
  href?: string;
}

const CELL_COLOR: Record<StripCell['outcome'], string> = {
  pass: '#1a7f37',
  fail: '#cf222e',
  skip: '#bf8700',
  none: '#d0d7de',
};

/** Pass/fail strip: one cell per run, oldest left. */
export function passFailStrip(cells: readonly StripCell[], opts: { title: string }): Node {
  const w = Math.max(4, Math.min(14, Math.floor(1000 / Math.max(1, cells.length))));
  const width = cells.length * w + 2;
  return html`<svg role="img" aria-label=${opts.title} class="strip" width=${width} height="26" viewBox=${`0 0 ${width} 26`}>
    <title>${opts.title}</title>
    ${cells.map((c, i) => {
      const rect = html`<rect x=${i * w + 1} y="2" width=${w - 1} height="22" fill=${CELL_COLOR[c.outcome]} data-outcome=${c.outcome}><title>${c.title}</title></rect>`;
      return c.href ? html`<a href=${c.href}>${rect}</a>` : rect;
    })}
  </svg>`;
}

export interface Point {
  ms: number;
  outcome: 'pass' | 'fail' | 'skip' | 'none';
  title: string;
}

/** Duration plot: one dot per run (coloured by outcome), y = duration, oldest left. */
export function durationPlot(points: readonly Point[], opts: { title: string; width?: number; height?: number }): Node {
  const width = opts.width ?? 900;
  const height = opts.height ?? 180;
  const pad = { l: 56, r: 10, t: 10, b: 20 };
  const max = Math.max(1, ...points.map((p) => p.ms));
  const x = (i: number) => pad.l + (points.length <= 1 ? 0 : (i * (width - pad.l - pad.r)) / (points.length - 1));
  const y = (ms: number) => height - pad.b - (ms / max) * (height - pad.t - pad.b);
  const ticks = [0, max / 2, max];
  return html`<svg role="img" aria-label=${opts.title} width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`}>
    <title>${opts.title}</title>
    ${ticks.map(
      (t) => html`<g><line x1=${pad.l} x2=${width - pad.r} y1=${y(t)} y2=${y(t)} stroke="#eaeef2" />
      <text x=${pad.l - 4} y=${y(t) + 4} text-anchor="end">${fmt(Math.round(t))}</text></g>`,
    )}
    <polyline fill="none" stroke="#8c959f" stroke-width="1" points=${points.map((p, i) => `${x(i).toFixed(1)},${y(p.ms).toFixed(1)}`).join(' ')} />
    ${points.map((p, i) => html`<circle cx=${x(i).toFixed(1)} cy=${y(p.ms).toFixed(1)} r="3.5" fill=${CELL_COLOR[p.outcome]}><title>${p.title}</title></circle>`)}
    <text x=${pad.l} y=${height - 4}>oldest</text>
    <text x=${width - pad.r} y=${height - 4} text-anchor="end">newest</text>
  </svg>`;
}
