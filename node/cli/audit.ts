/** `dekmesh audit`: the rewrap audit trail from the indexer, newest first, a page at a time. */
import type { AuditQuery } from "../sdk/audit.js";
import { addressArg, timeArg } from "./args.js";
import { defineCommand, stringOf } from "./command.js";
import { UsageError } from "./exitCodes.js";
import { formatTime, shellWord, table } from "./output.js";

function address(value: string | undefined, flag: string) {
  return value === undefined ? undefined : addressArg(value, `--${flag}`);
}

function time(value: string | undefined, flag: string): number | undefined {
  return value === undefined ? undefined : Number(timeArg(value, `--${flag}`));
}

export const auditCommand = defineCommand({
  name: "audit",
  summary: "the rewrap audit trail (who got which key from whom)",
  help: `usage: dekmesh audit [--cid <cid>] [--requester <addr>] [--validator <addr>]
                     [--from <time>] [--to <time>] [--limit <n>] [--cursor <c>] [--json]

Rewrap records as recorded on chain, newest first. Filters combine with AND.
  --cid <cid>            a content (CID text or 0x contentId)
  --requester <addr>     who asked for the key
  --validator <addr>     who served it
  --from, --to <time>    recording block time, inclusive: unix seconds or an ISO date
  --limit <n>            records per page, 1-500 (default 50)
  --cursor <c>           the next page (printed after each page)`,
  options: {
    cid: { type: "string" },
    requester: { type: "string" },
    validator: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
  },
  async run({ values, settings, out, argv }) {
    const limit = stringOf(values.limit);
    if (limit !== undefined && !/^\d{1,3}$/.test(limit)) throw new UsageError("--limit must be an integer from 1 to 500");
    const query: AuditQuery = {
      cid: stringOf(values.cid),
      requester: address(stringOf(values.requester), "requester"),
      validator: address(stringOf(values.validator), "validator"),
      from: time(stringOf(values.from), "from"),
      to: time(stringOf(values.to), "to"),
      limit: limit === undefined ? undefined : Number(limit),
      cursor: stringOf(values.cursor),
    };
    const { queryAudit } = await import("../sdk/audit.js");
    const page = await queryAudit(settings.indexerUrl(), query, 10_000);
    out.result(page, () =>
      page.records.length === 0
        ? "no audit records"
        : table(page.records, [
            { header: "TIME", value: (r) => formatTime(r.blockTimestamp) },
            { header: "BLOCK", value: (r) => String(r.blockNumber) },
            { header: "CID", value: (r) => r.cid ?? r.contentId },
            { header: "REQUESTER", value: (r) => r.requester },
            { header: "VALIDATOR", value: (r) => r.validator },
            { header: "BATCH", value: (r) => r.batchId.toString() },
          ]),
    );
    if (page.nextCursor !== null) {
      // The same command with the next cursor, ready to paste.
      const kept = argv.filter((arg, i) => arg !== "--cursor" && argv[i - 1] !== "--cursor" && !arg.startsWith("--cursor=") && arg !== "--json");
      out.note(`more: ${["dekmesh", "audit", ...kept, "--cursor", page.nextCursor].map(shellWord).join(" ")}`);
    }
  },
});
