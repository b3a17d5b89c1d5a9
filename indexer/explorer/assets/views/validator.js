// A validator: status, stake over time, holdings, rewraps served and its recent records.
import { getJson, withQuery } from "../api.js";
import { seriesChart, stakeChart, weightChart } from "../chart.js";
import { facts, fill, h, section, table } from "../dom.js";
import { contentLink, recordHref, requesterLink, short, time, timeElement, tokens } from "../format.js";
import { BUCKETS, rangeOf, rangePicker, seriesQuery } from "../range.js";

export async function render(main, { params: [node], query, signal, head }) {
  const range = rangeOf(query);
  async function load() {
    const at = head();
    const [data, series, recent] = await Promise.all([
      getJson(`/validators/${node}`, signal),
      getJson(withQuery("/audit/series", { validator: node, ...seriesQuery(at.timestamp, range) }), signal),
      getJson(withQuery("/audit", { validator: node, limit: 10 }), signal),
    ]);
    const v = data.validator;
    const slashes = data.stakeChanges.filter((c) => c.kind === "slash");
    fill(main,
      h("h1", { tabindex: "-1" }, "Validator ", h("span", { class: "mono wrap" }, v.node)),
      facts([
        ["Status", [h("strong", { class: `status status-${v.status}` }, v.status), v.revoked ? " (node revoked)" : ""]],
        ["Stake", tokens(v.stake)],
        ["Selection weight", `${v.weight} (stake ÷ stake unit while active)`],
        ["Slashed in total", tokens(v.slashedTotal)],
        ["Rewraps served", String(data.rewrapsServed)],
        ["Audit batches", v.auditBatches],
        ["Holdings confirmed", String(data.holdingCount)],
        ["Operator", h("span", { class: "mono wrap" }, v.operator)],
        ["Endpoint", h("span", { class: "wrap" }, v.endpoint)],
        ["Peer id", h("span", { class: "mono wrap" }, v.peerId)],
        ["Registered", timeElement(v.registeredAt)],
        ["Active since", v.activatedAt ? timeElement(v.activatedAt) : "—"],
      ]),
      section("Rewraps served over time", rangePicker(range), seriesChart(`Rewraps served by ${short(v.node)}`, series, BUCKETS)),
      section("Stake over time", stakeChart(`Stake of ${short(v.node)}`, data.stakeChanges, at.timestamp)),
      section("Weight over time", weightChart(`Selection weight of ${short(v.node)}`, data.weightChanges, at.timestamp)),
      section(
        "Stake changes",
        table(slashes.length ? `${slashes.length} slash${slashes.length === 1 ? "" : "es"} among them` : "No slashes", ["When", "Change", "Amount", "Stake after", "Reason"],
          data.stakeChanges.map((c) => [timeElement(c.blockTimestamp), c.kind, tokens(c.amount), tokens(c.stakeAfter), c.reason ? h("span", { class: "mono" }, short(c.reason)) : ""])),
        h("p", { class: "muted" }, "Challenges are not indexed: the contracts have no challenge events yet."),
      ),
      section("Status history", table("Newest first", ["When", "Cause", "From", "To"], data.statusChanges.map((c) => [timeElement(c.blockTimestamp), c.cause.replaceAll("_", " "), c.fromStatus ?? "—", c.toStatus]))),
      section(
        "Holdings",
        table(data.holdingCount > data.holdings.length ? `The newest ${data.holdings.length} of ${data.holdingCount}` : `${data.holdingCount} contents`, ["Content", "First confirmed", "Confirmations"],
          data.holdings.map((c) => [contentLink(c.contentId, c.cid), timeElement(c.firstConfirmedAt), String(c.confirmations)])),
      ),
      section(
        "Recent records",
        table("Newest first", ["Recorded", "Content", "Requester"], recent.records.map((r) => [h("a", { href: recordHref(r) }, time(r.blockTimestamp)), contentLink(r.contentId, r.cid), requesterLink(r.requester)])),
        h("p", {}, h("a", { href: `/explorer?validator=${v.node}` }, "Every record of this validator →")),
      ),
    );
  }
  await load();
  return { refresh: load };
}
