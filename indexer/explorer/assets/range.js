// Time ranges of the charts, and the /audit/series request for one: `to` is rounded up to a
// whole step so that the request (and the indexer's cached answer) stays the same for a while.
import { h } from "./dom.js";

export const RANGES = { "15m": 900, "1h": 3600, "24h": 86_400, "30d": 2_592_000 };
export const DEFAULT_RANGE = "1h";
export const BUCKETS = 60;

export function rangeOf(query) {
  const name = query.get("range");
  return name in RANGES ? name : DEFAULT_RANGE;
}

export function seriesQuery(headTimestamp, range) {
  const step = RANGES[range] / BUCKETS;
  const to = Math.ceil((headTimestamp + 1) / step) * step - 1;
  return { from: to + 1 - RANGES[range], to, buckets: BUCKETS };
}

/** Links to the same view with another range. */
export function rangePicker(current) {
  return h("nav", { class: "ranges", "aria-label": "Time range" }, Object.keys(RANGES).map((name) => {
    const url = new URL(location.href);
    url.searchParams.set("range", name);
    return h("a", { href: url.pathname + url.search, "aria-current": name === current ? "true" : undefined }, `last ${name}`);
  }));
}
