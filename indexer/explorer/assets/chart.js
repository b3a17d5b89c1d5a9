// Hand-drawn SVG charts: lines over time buckets (rewraps per validator) and a step line
// (stake). Colours come from the stylesheet (series-0 … series-7), so dark mode has its own.
import { h, s } from "./dom.js";
import { short, time } from "./format.js";

const W = 720;
const H = 240;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };

function frame(title, yMax, xLabels, ...marks) {
  const inner = { w: W - PAD.left - PAD.right, h: H - PAD.top - PAD.bottom };
  return s(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": title },
    s("title", {}, title),
    s("line", { x1: PAD.left, y1: PAD.top + inner.h, x2: W - PAD.right, y2: PAD.top + inner.h, class: "axis" }),
    s("line", { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: PAD.top + inner.h, class: "axis" }),
    s("text", { x: PAD.left - 6, y: PAD.top + 10, class: "tick", "text-anchor": "end" }, String(yMax)),
    s("text", { x: PAD.left - 6, y: PAD.top + inner.h, class: "tick", "text-anchor": "end" }, "0"),
    xLabels.map(([fraction, label], i) =>
      s("text", { x: PAD.left + fraction * inner.w, y: H - 8, class: "tick", "text-anchor": i === 0 ? "start" : i === xLabels.length - 1 ? "end" : "middle" }, label),
    ),
    ...marks,
  );
}

const x = (fraction) => PAD.left + fraction * (W - PAD.left - PAD.right);
const y = (value, max) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - (max === 0 ? 0 : value / max));

/** GET /audit/series as one line per validator, with a legend and the numbers in a table. */
export function seriesChart(title, series, buckets) {
  const byValidator = new Map();
  for (const p of series.points) {
    const counts = byValidator.get(p.validator) ?? new Array(buckets).fill(0);
    if (p.bucket >= 0 && p.bucket < buckets) counts[p.bucket] += p.rewraps;
    byValidator.set(p.validator, counts);
  }
  const max = Math.max(1, ...[...byValidator.values()].flat());
  const from = Number(series.from);
  const step = Number(series.step);
  const at = (i) => (buckets === 1 ? 0.5 : i / (buckets - 1));
  const lines = [...byValidator.entries()].map(([validator, counts], n) =>
    s("polyline", { class: `line series-${n % 8}`, points: counts.map((c, i) => `${x(at(i)).toFixed(1)},${y(c, max).toFixed(1)}`).join(" ") }, s("title", {}, validator)),
  );
  const labels = [[0, time(from)], [1, time(from + step * buckets)]];
  const total = (counts) => counts.reduce((a, b) => a + b, 0);
  return h(
    "figure",
    { class: "figure" },
    frame(title, max, labels, ...lines),
    h("figcaption", {}, `${title}, ${time(from)} to ${time(from + step * buckets)}, ${step} s per point.`),
    h("ul", { class: "legend" }, [...byValidator.entries()].map(([validator, counts], n) =>
      h("li", {}, h("span", { class: `swatch series-${n % 8}`, "aria-hidden": "true" }), h("a", { href: `/explorer/validator/${validator}`, class: "mono" }, short(validator)), ` ${total(counts)} rewrap${total(counts) === 1 ? "" : "s"}`),
    )),
    byValidator.size === 0 ? h("p", { class: "empty" }, "No rewraps recorded in this range.") : null,
  );
}

/** Stake after each change, oldest first, as a step line from the first change to `until`. */
export function stakeChart(title, changes, until) {
  const points = [...changes].reverse().map((c) => [Number(c.blockTimestamp), Number(BigInt(c.stakeAfter) / 10n ** 18n)]);
  return stepChart(title, points, until, "No stake changes indexed.", `${title} (whole tokens).`);
}

/** A validator's selection weight after each change (0 while it is not active). */
export function weightChart(title, changes, until) {
  const points = [...changes].reverse().map((c) => [Number(c.blockTimestamp), Number(c.weight)]);
  return stepChart(title, points, until, "No weight changes indexed.", `${title} (stake ÷ stake unit while active, else 0).`);
}

/** A value that holds from each point until the next, drawn as steps up to `until`. */
function stepChart(title, points, until, empty, caption) {
  if (points.length === 0) return h("p", { class: "empty" }, empty);
  const t0 = points[0][0];
  const span = Math.max(1, Number(until) - t0);
  const max = Math.max(1, ...points.map((p) => p[1]));
  const path = [];
  points.forEach(([t, v], i) => {
    const px = x((t - t0) / span).toFixed(1);
    if (i > 0) path.push(`${px},${y(points[i - 1][1], max).toFixed(1)}`);
    path.push(`${px},${y(v, max).toFixed(1)}`);
  });
  path.push(`${x(1).toFixed(1)},${y(points[points.length - 1][1], max).toFixed(1)}`);
  return h(
    "figure",
    { class: "figure" },
    frame(title, max, [[0, time(t0)], [1, time(until)]], s("polyline", { class: "line series-0", points: path.join(" ") })),
    h("figcaption", {}, caption),
  );
}
