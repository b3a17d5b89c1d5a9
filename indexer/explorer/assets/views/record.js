// One audit record, with the batch that carried it.
import { getJson } from "../api.js";
import { facts, fill, h, section, table } from "../dom.js";
import { contentLink, recordHref, requesterLink, time, timeElement, validatorLink } from "../format.js";

export async function render(main, { params: [validator, batchId, recordIndex], signal }) {
  const { batch, verification } = await getJson(`/audit/batches/${validator}/${batchId}`, signal);
  const index = Number(recordIndex);
  const record = batch.records[index];
  if (!record) {
    fill(main, h("h1", { tabindex: "-1" }, "No such record"), h("p", {}, `Batch #${batch.batchId} of this validator holds ${batch.count} records.`));
    return {};
  }
  const others = batch.records.filter((r) => r.recordIndex !== index).slice(0, 50);
  fill(main,
    h("h1", { tabindex: "-1" }, "Audit record"),
    facts([
      ["Content", contentLink(record.contentId, record.cid)],
      ["Content id", h("span", { class: "mono wrap" }, record.contentId)],
      ["Requester", requesterLink(record.requester)],
      ["Served by", validatorLink(batch.validator)],
      ["Request digest", h("span", { class: "mono wrap", id: "digest" }, record.requestDigest)],
      ["Served at (validator's clock)", timeElement(record.servedAt)],
      ["Recorded (block time)", timeElement(batch.blockTimestamp)],
      ["Batch", `#${batch.batchId}, record ${index + 1} of ${batch.count}`],
      ["Block · log index", `${batch.blockNumber} · ${batch.logIndex}`],
      ["Transaction", h("span", { class: "mono wrap" }, batch.txHash)],
      [
        "Verification",
        verification ?? "Not verifiable yet: the indexer has no evidence for this record, so it is the validator's word (docs/explorer.md).",
      ],
    ]),
    section(
      `Other records of batch #${batch.batchId}`,
      table(
        others.length < batch.count - 1 ? `The first ${others.length} of ${batch.count - 1}` : `${others.length} records`,
        ["#", "Content", "Requester", "Served at"],
        others.map((r) => [h("a", { href: recordHref({ ...r, validator: batch.validator, batchId: batch.batchId }) }, String(r.recordIndex)), contentLink(r.contentId, r.cid), requesterLink(r.requester), time(r.servedAt)]),
      ),
    ),
  );
  return {};
}
