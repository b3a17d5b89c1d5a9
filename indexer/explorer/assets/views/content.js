// A content: its policy in words, replica set and holders, and its rewraps over time.
import { getJson, withQuery } from "../api.js";
import { seriesChart } from "../chart.js";
import { facts, fill, h, section, table } from "../dom.js";
import { policyInWords, recordHref, requesterLink, time, timeElement, validatorLink } from "../format.js";
import { BUCKETS, rangeOf, rangePicker, seriesQuery } from "../range.js";

const HOLDER_STATES = {
  confirmed: "confirmed on chain",
  initial: "initial validator",
  assigned: "assigned, not confirmed yet",
  computed: "in the computed replica set",
};

export async function render(main, { params: [ref], query, signal, head }) {
  const range = rangeOf(query);
  async function load() {
    const at = head();
    const holders = await getJson(`/holders/${encodeURIComponent(ref)}`, signal);
    const c = holders.content;
    const [policy, series, recent] = await Promise.all([
      getJson(`/policies/${c.policyId}`, signal),
      getJson(withQuery("/audit/series", { cid: c.contentId, ...seriesQuery(at.timestamp, range) }), signal),
      getJson(withQuery("/audit", { cid: c.contentId, limit: 10 }), signal),
    ]);
    const { mode, k, replicaSet } = holders.replication;
    fill(main,
      h("h1", { tabindex: "-1" }, "Content ", h("span", { class: "mono wrap" }, c.cid ?? c.contentId)),
      facts([
        ["Content id", h("span", { class: "mono wrap" }, c.contentId)],
        ["Publisher", h("span", { class: "mono wrap" }, c.publisher)],
        ["Initial validator", validatorLink(c.initialValidator)],
        ["Registered in block", String(c.registeredBlock)],
        c.unusable ? ["Unusable", `reported by its initial validator: ${c.unusable.reason}`] : null,
      ]),
      section(`Policy #${policy.policy.id}`, h("ul", { class: "terms" }, policyInWords(policy.policy, at.timestamp).map((line) => h("li", {}, line)))),
      section(
        "Replica set and holders",
        h("p", {}, `Mode ${mode}${mode === "stake" || mode === "xor" ? ` (k = ${k})` : ""}: ${replicaSet.length} member${replicaSet.length === 1 ? "" : "s"}.`),
        table("Replica set", ["Slot", "Validator"], replicaSet.map((node, i) => [String(i), node ? validatorLink(node) : "vacant"])),
        table("Active validators that hold the key or will pull it", ["Validator", "State", "Confirmed in block"],
          holders.holders.map((v) => [validatorLink(v.node), HOLDER_STATES[v.state] ?? v.state, v.confirmedBlock === null ? "—" : String(v.confirmedBlock)])),
      ),
      section("Rewraps over time", rangePicker(range), seriesChart("Rewraps of this content per validator", series, BUCKETS)),
      section(
        "Recent records",
        table("Newest first", ["Recorded", "Requester", "Validator", "Served at"], recent.records.map((r) => [h("a", { href: recordHref(r) }, time(r.blockTimestamp)), requesterLink(r.requester), validatorLink(r.validator), timeElement(r.servedAt)])),
        h("p", {}, h("a", { href: `/explorer?cid=${c.cid ?? c.contentId}` }, "Every record of this content →")),
      ),
    );
  }
  await load();
  return { refresh: load };
}
