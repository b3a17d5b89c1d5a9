/**
 * `dekmesh audit`: the rewrap audit trail from the indexer, newest first, a page at a time;
 * `dekmesh audit verify`: a batch's records checked against their evidence (./auditVerify.ts).
 */
import type { AuditQuery } from "../sdk/audit.js";
import { addressArg, timeArg } from "./args.js";
import { defineCommand, stringOf, type CommandInput } from "./command.js";
import { UsageError, type ExitCode } from "./exitCodes.js";
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
       dekmesh audit verify --validator <addr> --batch <id> [--index <i>] [--endpoint <url>] [--json]

Rewrap records as recorded on chain, newest first. Filters combine with AND.
  --cid <cid>            a content (CID text or 0x contentId)
  --requester <addr>     who asked for the key
  --validator <addr>     who served it
  --from, --to <time>    recording block time, inclusive: unix seconds or an ISO date
  --limit <n>            records per page, 1-500 (default 50)
  --cursor <c>           the next page (printed after each page)

verify: checks every record of the validator's batch (or record --index, from 0) against its
evidence: the batch's root and evidence CID from the chain, the evidence from the validator's
HTTP API (--endpoint, or the endpoint the indexer lists). Exit 0 valid, 6 invalid, 3 evidence
missing, 4 validator unreachable.`,
  options: {
    cid: { type: "string" },
    requester: { type: "string" },
    validator: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
    batch: { type: "string" },
    index: { type: "string" },
    endpoint: { type: "string" },
  },
  positionals: { min: 0, max: 1, names: "[verify]" },
  async run({ values, positionals, settings, out, argv }) {
    if (positionals[0] !== undefined) {
      if (positionals[0] !== "verify") throw new UsageError(`unknown audit command ${JSON.stringify(positionals[0].slice(0, 32))}: did you mean verify?`);
      return verify(values, settings, out);
    }
    for (const flag of ["batch", "index", "endpoint"]) if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with audit verify`);
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

async function verify(values: CommandInput["values"], settings: CommandInput["settings"], out: CommandInput["out"]): Promise<ExitCode> {
  const validator = address(stringOf(values.validator), "validator");
  if (validator === undefined) throw new UsageError("audit verify needs --validator <addr>");
  const batch = stringOf(values.batch);
  if (batch === undefined || !/^[1-9][0-9]{0,19}$/.test(batch) || BigInt(batch) >= 1n << 64n) throw new UsageError("--batch must be a batch id (1, 2, …)");
  const index = stringOf(values.index);
  if (index !== undefined && !/^(0|[1-9][0-9]{0,3})$/.test(index)) throw new UsageError("--index must be a record index (0, 1, …)");
  const endpoint = stringOf(values.endpoint);
  const { verifyAuditRecords, AUDIT_VERIFY_EXIT } = await import("./auditVerify.js");
  const report = await verifyAuditRecords(settings, {
    validator,
    batchId: BigInt(batch),
    ...(index === undefined ? {} : { index: Number(index) }),
    ...(endpoint === undefined ? {} : { endpoint }),
  });
  out.result(report, () =>
    [
      `batch ${report.batchId} of ${report.validator}: ${report.status}${report.reason === undefined ? "" : ` (${report.reason})`}`,
      ...report.records.map((r) => `  ${String(r.index).padStart(4)}  ${r.verdict.valid ? "valid" : r.verdict.code}  ${r.contentId}  ${r.requester}`),
    ].join("\n"),
  );
  return AUDIT_VERIFY_EXIT[report.status];
}
