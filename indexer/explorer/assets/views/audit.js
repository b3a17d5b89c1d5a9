// The audit trail: filters (in the URL), recent batches and the records, newest first, in
// pages that follow the indexer's cursors. The first page follows the chain live.
import { getJson, withQuery } from "../api.js";
import { fill, h, section, table } from "../dom.js";
import { contentLink, recordHref, requesterLink, short, time, timeElement, validatorLink } from "../format.js";

export const FILTERS = ["cid", "requester", "validator", "from", "to"];
const BATCHES_SHOWN = 8;

/** unix seconds ⇄ the value of a datetime-local input, in UTC. */
const toInput = (seconds) => (seconds ? new Date(Number(seconds) * 1000).toISOString().slice(0, 19) : "");
const fromInput = (value) => (value ? String(Math.floor(Date.parse(`${value}Z`) / 1000)) : "");

function filterForm(query, navigate) {
  const field = (name, label, attrs) =>
    h("label", {}, h("span", {}, label), h("input", { name, value: attrs.value ?? query.get(name) ?? "", autocomplete: "off", spellcheck: "false", ...attrs }));
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter the audit trail" },
    field("cid", "Content (CID or 0x id)", { placeholder: "bafk… or 0x…" }),
    field("requester", "Requester", { placeholder: "0x…" }),
    field("validator", "Validator", { placeholder: "0x…" }),
    field("from", "From (UTC)", { type: "datetime-local", step: 1, value: toInput(query.get("from")) }),
    field("to", "To (UTC)", { type: "datetime-local", step: 1, value: toInput(query.get("to")) }),
    h("div", { class: "buttons" }, h("button", { type: "submit" }, "Apply"), h("a", { href: "/explorer", class: "button" }, "Clear")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const params = {};
    for (const name of FILTERS) {
      const value = String(data.get(name) ?? "").trim();
      params[name] = name === "from" || name === "to" ? fromInput(value) : value;
    }
    if (query.get("limit")) params.limit = query.get("limit");
    navigate(withQuery("/explorer", params));
  });
  return form;
}

function recordRow(r) {
  return h(
    "tr",
    { "data-digest": r.requestDigest, "data-content": r.contentId, "data-requester": r.requester, "data-validator": r.validator, "data-time": r.blockTimestamp },
    h("td", { "data-label": "Recorded" }, h("a", { href: recordHref(r) }, time(r.blockTimestamp))),
    h("td", { "data-label": "Content" }, contentLink(r.contentId, r.cid)),
    h("td", { "data-label": "Requester" }, requesterLink(r.requester)),
    h("td", { "data-label": "Validator" }, validatorLink(r.validator)),
    h("td", { "data-label": "Batch" }, `#${r.batchId}`, h("span", { class: "muted" }, ` · ${r.recordIndex}`)),
    h("td", { "data-label": "Digest", class: "mono" }, h("a", { href: recordHref(r), "aria-label": `record ${r.requestDigest}` }, short(r.requestDigest))),
  );
}

function batchRow(b) {
  return h(
    "tr",
    {},
    h("td", { "data-label": "Recorded" }, timeElement(b.blockTimestamp)),
    h("td", { "data-label": "Validator" }, validatorLink(b.validator)),
    h("td", { "data-label": "Batch" }, h("a", { href: `/explorer/record/${b.validator}/${b.batchId}/0` }, `#${b.batchId}`)),
    h("td", { "data-label": "Records" }, String(b.count)),
    h("td", { "data-label": "Block" }, String(b.blockNumber)),
  );
}

export async function render(main, { query, signal, navigate }) {
  const params = Object.fromEntries(FILTERS.map((name) => [name, query.get(name) ?? undefined]));
  const cursor = query.get("cursor") ?? undefined;
  const limit = query.get("limit") ?? undefined;
  const filtered = FILTERS.some((name) => params[name]);
  const batchesSlot = h("div");
  const recordsSlot = h("div");
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  fill(main,
    h("h1", { tabindex: "-1" }, "Rewrap audit trail"),
    filterForm(query, navigate),
    filtered ? null : section("Recent audit batches", batchesSlot),
    section(filtered ? "Matching records" : "Records", recordsSlot, pager),
  );

  async function load() {
    const [records, batches] = await Promise.all([
      getJson(withQuery("/audit", { ...params, cursor, limit }), signal),
      filtered ? null : getJson(withQuery("/audit/batches", { limit: BATCHES_SHOWN }), signal),
    ]);
    if (batches) fill(batchesSlot, table("Newest first", ["Recorded", "Validator", "Batch", "Records", "Block"], batches.batches.map(batchRow)));
    fill(recordsSlot,
      table(
        cursor ? "Older records" : `Newest first, as of block ${records.block.number}`,
        ["Recorded", "Content", "Requester", "Validator", "Batch · index", "Request digest"],
        records.records.map(recordRow),
        { id: "records" },
      ),
    );
    const here = { ...params, limit };
    const older = records.nextCursor
      ? h("a", { href: withQuery("/explorer", { ...here, cursor: records.nextCursor }), rel: "next", id: "older" }, "Older →")
      : h("span", { class: "muted", id: "oldest" }, records.records.length ? "Oldest record reached." : "");
    fill(pager, cursor ? h("a", { href: withQuery("/explorer", here), rel: "first" }, "← Newest") : null, older);
  }
  await load();
  // Only the newest page follows the chain: an older page is a fixed place in the trail.
  return cursor ? {} : { refresh: load };
}
