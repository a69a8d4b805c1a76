// Small SVG line charts for the admin page, without a chart library. The page's Content-Security-Policy has no
// 'unsafe-inline': nothing here uses a style attribute or markup strings. Geometry is set with SVG presentation
// attributes (setAttribute), colours come from CSS classes in css/app.css (so they follow the light/dark theme).
//
// A chart is drawn at the pixel width of its host (no scaling of the text), again when the host's width changes.
// Values of null are gaps: the line stops and starts again; a point with no neighbour is drawn as a dot. Two points
// further apart in time than `gapMs` are not joined either (an interval nobody sampled).

import { spokenDuration } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';
const HEIGHT = 150;
const PAD_RIGHT = 6;
const PAD_BOTTOM = 20;
const LEGEND_LINE = 16;
const AXIS_FONT_PX = 11;
const LEGEND_FONT_PX = 12;
const FALLBACK_WIDTH = 320;

const drawn = new WeakMap(); // host → { options, width }
const observed = new WeakSet();
let resizer = null;
let redrawFrame = 0;
const pendingRedraws = new Set();

function svg(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined && value !== false) {
      element.setAttribute(name, String(value));
    }
  }
  if (text !== undefined) {
    element.textContent = text;
  }
  return element;
}

/** The smallest of 1, 2, 2.5, 5 × 10^k that is at least `value` (1 for nothing to show). */
function niceCeiling(value) {
  if (!(value > 0)) {
    return 1;
  }
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value * (1 - 1e-9)) {
      return step * power;
    }
  }
  return 10 * power;
}

/** A rough width of a text in pixels (the charts avoid measuring, which needs a layout). */
function textWidth(text, fontPx) {
  return Math.ceil(String(text).length * fontPx * 0.6);
}

function hostWidth(host) {
  const box = host.getBoundingClientRect();
  const style = window.getComputedStyle(host);
  const inner = box.width - parseFloat(style.paddingLeft || '0') - parseFloat(style.paddingRight || '0')
    - parseFloat(style.borderLeftWidth || '0') - parseFloat(style.borderRightWidth || '0');
  return inner >= 120 ? Math.floor(inner) : FALLBACK_WIDTH;
}

function lastValue(values) {
  for (let i = values.length - 1; i >= 0; i -= 1) {
    if (values[i] !== null && Number.isFinite(values[i])) {
      return values[i];
    }
  }
  return null;
}

/** The runs of joined points: [[i, j, ...], ...] broken at nulls and at steps longer than gapMs. */
function runs(times, values, gapMs) {
  const out = [];
  let run = [];
  for (let i = 0; i < values.length; i += 1) {
    const value = values[i];
    if (value === null || !Number.isFinite(value)) {
      if (run.length) out.push(run);
      run = [];
      continue;
    }
    if (run.length && gapMs > 0 && times[i] - times[run[run.length - 1]] > gapMs) {
      out.push(run);
      run = [];
    }
    run.push(i);
  }
  if (run.length) out.push(run);
  return out;
}

/**
 * Draws (or redraws) a line chart as the last <svg> child of `host` (other children, such as a <figcaption>, stay).
 *
 * @param {Element} host the chart's container, e.g. a <figure>
 * @param {object} options
 *   title: what the chart shows ("Active sessions"), the start of its accessible label;
 *   times: the points' instants (epoch ms, ascending), shared by all series;
 *   series: [{ name, values: [number|null], className }] (className colours the line, e.g. 'chart-line-1');
 *   unit: shown after values ("/min", " ms"); unitLabel: the same for screen readers (" per minute");
 *   digits: at most this many fraction digits (default 0); gapMs: the longest step still joined by a line;
 *   summary: an optional sentence added to the accessible label.
 */
export function renderChart(host, options) {
  const width = hostWidth(host);
  drawn.set(host, { options, width });
  draw(host, options, width);
  observe(host);
}

function observe(host) {
  if (!('ResizeObserver' in window) || observed.has(host)) {
    return;
  }
  observed.add(host);
  if (!resizer) {
    // Redraw in the next frame, not in the observer's callback, and the svg's height never changes: no resize loop.
    resizer = new ResizeObserver((entries) => {
      for (const entry of entries) {
        pendingRedraws.add(entry.target);
      }
      if (!redrawFrame) {
        redrawFrame = window.requestAnimationFrame(redrawPending);
      }
    });
  }
  resizer.observe(host);
}

function redrawPending() {
  redrawFrame = 0;
  for (const host of pendingRedraws) {
    const last = drawn.get(host);
    if (!last || !host.isConnected) {
      continue;
    }
    const width = hostWidth(host);
    if (width !== last.width) {
      last.width = width;
      draw(host, last.options, width);
    }
  }
  pendingRedraws.clear();
}

function draw(host, options, width) {
  const {
    title, times = [], series = [], unit = '', unitLabel = unit, digits = 0, gapMs = 0, summary = '',
  } = options;
  const format = new Intl.NumberFormat(undefined, { maximumFractionDigits: digits });
  const show = (value) => (value === null ? '—' : format.format(value));
  const n = times.length;

  const chart = svg('svg', {
    class: 'chart-svg', role: 'img', width: '100%', height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`,
    'data-points': n, 'data-last-at': n ? times[n - 1] : null,
  });
  const label = describe({ title, times, series, format, unitLabel, summary });
  chart.setAttribute('aria-label', label);
  chart.append(svg('title', {}, label));

  // Legend: per series a line sample, its name and its last value; wraps when the chart is narrow.
  let x = 0;
  let y = LEGEND_LINE - 4;
  series.forEach((s, index) => {
    const value = show(lastValue(s.values));
    const text = `${s.name} ${value}${value === '—' ? '' : unit}`;
    const itemWidth = 18 + textWidth(text, LEGEND_FONT_PX) + 14;
    if (x > 0 && x + itemWidth > width) {
      x = 0;
      y += LEGEND_LINE;
    }
    chart.append(svg('line', {
      class: `chart-line ${s.className || ''}`, x1: x, x2: x + 14, y1: y - 4, y2: y - 4,
      fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-dasharray': index % 2 ? '4 3' : null,
    }));
    const legend = svg('text', { class: 'chart-legend', x: x + 18, y, 'font-size': LEGEND_FONT_PX });
    legend.append(svg('tspan', { class: 'chart-legend-name' }, `${s.name} `),
      svg('tspan', { class: 'chart-legend-value', 'font-weight': 700 }, value),
      svg('tspan', { class: 'chart-legend-name' }, value === '—' ? '' : unit));
    chart.append(legend);
    x += itemWidth;
  });

  const top = y + 12;
  const bottom = HEIGHT - PAD_BOTTOM;
  const values = series.flatMap((s) => s.values).filter((v) => v !== null && Number.isFinite(v));
  const max = niceCeiling(values.length ? Math.max(...values) : 0);
  const maxLabel = format.format(max);
  const left = Math.max(textWidth(maxLabel, AXIS_FONT_PX), textWidth('0', AXIS_FONT_PX)) + 6;
  const right = width - PAD_RIGHT;
  const yOf = (v) => bottom - (v / max) * (bottom - top);
  const first = n ? times[0] : 0;
  const span = n ? times[n - 1] - first : 0;
  // One point (or several at one instant) sits at the right edge: the newest end of the time axis.
  const xOf = (t) => (span > 0 ? left + ((t - first) / span) * (right - left) : right);

  // Grid: the top (max), the middle (not behind the "no data" text) and the baseline (0); labels for max and 0.
  const grid = [[max, 'chart-grid'], [max / 2, 'chart-grid chart-grid-minor'], [0, 'chart-axis']]
    .filter(([, kind]) => values.length || !kind.includes('minor'));
  for (const [v, kind] of grid) {
    chart.append(svg('line', {
      class: kind, x1: left, x2: right, y1: yOf(v), y2: yOf(v), stroke: 'currentColor', 'stroke-width': 1,
      'shape-rendering': 'crispEdges',
    }));
  }
  for (const v of [max, 0]) {
    chart.append(svg('text', {
      class: 'chart-tick', x: left - 5, y: yOf(v), 'text-anchor': 'end', 'dominant-baseline': 'middle',
      'font-size': AXIS_FONT_PX,
    }, format.format(v)));
  }

  if (!n || !values.length) {
    chart.append(svg('text', {
      class: 'chart-empty', x: (left + right) / 2, y: (top + bottom) / 2, 'text-anchor': 'middle',
      'dominant-baseline': 'middle', 'font-size': LEGEND_FONT_PX,
    }, n ? 'No data in this period' : 'Collecting data…'));
  }

  // Time axis: the first and the last instant (seconds too when the span is short).
  if (n) {
    const clock = new Intl.DateTimeFormat(undefined, span < 120_000
      ? { hour: 'numeric', minute: '2-digit', second: '2-digit' } : { hour: 'numeric', minute: '2-digit' });
    const endLabel = clock.format(new Date(times[n - 1]));
    const startLabel = clock.format(new Date(first));
    if (span > 0 && textWidth(startLabel, AXIS_FONT_PX) + textWidth(endLabel, AXIS_FONT_PX) + 12 < right - left) {
      chart.append(svg('text', {
        class: 'chart-tick', x: left, y: HEIGHT - 5, 'text-anchor': 'start', 'font-size': AXIS_FONT_PX,
      }, startLabel));
    }
    chart.append(svg('text', {
      class: 'chart-tick', x: right, y: HEIGHT - 5, 'text-anchor': 'end', 'font-size': AXIS_FONT_PX,
    }, endLabel));
  }

  // The lines (an area under the first series), gaps left open, lone points as dots, the last point marked.
  series.forEach((s, index) => {
    const className = s.className || '';
    const segments = runs(times, s.values, gapMs);
    for (const run of segments) {
      const points = run.map((i) => `${xOf(times[i]).toFixed(1)},${yOf(s.values[i]).toFixed(1)}`);
      if (run.length === 1) {
        chart.append(svg('circle', {
          class: `chart-dot ${className}`, cx: xOf(times[run[0]]).toFixed(1), cy: yOf(s.values[run[0]]).toFixed(1),
          r: 2.5, fill: 'currentColor',
        }));
        continue;
      }
      if (index === 0) {
        const x0 = xOf(times[run[0]]).toFixed(1);
        const x1 = xOf(times[run[run.length - 1]]).toFixed(1);
        chart.append(svg('path', {
          class: `chart-area ${className}`, d: `M${x0},${bottom} L${points.join(' L')} L${x1},${bottom} Z`,
          fill: 'currentColor', 'fill-opacity': 0.12, stroke: 'none',
        }));
      }
      chart.append(svg('polyline', {
        class: `chart-line ${className}`, points: points.join(' '), fill: 'none', stroke: 'currentColor',
        'stroke-width': 2, 'stroke-linejoin': 'round', 'stroke-linecap': 'round',
        'stroke-dasharray': index % 2 ? '4 3' : null,
      }));
    }
    const lastRun = segments[segments.length - 1];
    if (lastRun && lastRun.length > 1) {
      const i = lastRun[lastRun.length - 1];
      chart.append(svg('circle', {
        class: `chart-dot ${className}`, cx: xOf(times[i]).toFixed(1), cy: yOf(s.values[i]).toFixed(1), r: 3,
        fill: 'currentColor',
      }));
    }
  });

  const old = host.querySelector(':scope > svg.chart-svg');
  if (old) {
    old.replaceWith(chart);
  } else {
    host.append(chart);
  }
}

/**
 * The accessible label: "Sign-ins per minute. Latest: sign-ins 6 per minute, refused 0 per minute. Highest: 12 per
 * minute. <summary> 42 points over 7 minutes." (one series: "Latest: 12.").
 */
function describe({ title, times, series, format, unitLabel, summary }) {
  const n = times.length;
  const all = series.flatMap((s) => s.values).filter((v) => v !== null && Number.isFinite(v));
  if (!n || !all.length) {
    return `${title}. ${n ? 'No data in this period.' : 'No data yet.'}`;
  }
  const spoken = (v) => (v === null ? 'no data' : `${format.format(v)}${unitLabel}`);
  const latest = series.length === 1 ? spoken(lastValue(series[0].values))
    : series.map((s) => `${s.name.toLowerCase()} ${spoken(lastValue(s.values))}`).join(', ');
  const over = n === 1 ? '1 point.' : `${n} points over ${spokenDuration(times[n - 1] - times[0])}.`;
  return `${title}. Latest: ${latest}. Highest: ${format.format(Math.max(...all))}${unitLabel}.`
    + `${summary ? ` ${summary}` : ''} ${over}`;
}
