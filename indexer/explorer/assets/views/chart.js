// Rewraps over time, one line per validator.
import { getJson, withQuery } from "../api.js";
import { seriesChart } from "../chart.js";
import { fill, h, section, table } from "../dom.js";
import { validatorLink } from "../format.js";
import { BUCKETS, rangeOf, rangePicker, seriesQuery } from "../range.js";

export async function render(main, { query, signal, head }) {
  const range = rangeOf(query);
  const title = h("h1", { tabindex: "-1" }, "Rewraps per validator");
  const slot = h("div");
  fill(main, title, rangePicker(range), slot);
  async function load() {
    const series = await getJson(withQuery("/audit/series", seriesQuery(head().timestamp, range)), signal);
    const totals = new Map();
    for (const p of series.points) totals.set(p.validator, (totals.get(p.validator) ?? 0) + p.rewraps);
    fill(slot,
      seriesChart(`Rewraps per validator, last ${range}`, series, BUCKETS),
      section("Totals in this range", table("Most first", ["Validator", "Rewraps"], [...totals].sort((a, b) => b[1] - a[1]).map(([v, n]) => [validatorLink(v), String(n)]))),
    );
  }
  await load();
  return { refresh: load };
}
