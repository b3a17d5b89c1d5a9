// Registration of indexing functions. Every handler goes through `on`, which records the
// event as its domain's last applied one (indexer_state) after the handler's own writes, in
// the same batch: the API then knows which data changed without comparing tables.
import { ponder, type EventNames, type IndexingFunctionArgs } from "ponder:registry";
import { indexerState } from "ponder:schema";
import { domainOfContract } from "../lib/domains.js";

export function on<N extends EventNames>(name: N, handler: (args: IndexingFunctionArgs<N>) => Promise<void>): void {
  const domain = domainOfContract(name.slice(0, name.indexOf(":")));
  // ponder.on is typed per literal event name; for a generic N the argument type is the same.
  const register = ponder.on.bind(ponder) as unknown as (name: N, fn: (args: IndexingFunctionArgs<N>) => Promise<void>) => void;
  register(name, async (args) => {
    await handler(args);
    const { block, log } = args.event as unknown as { block: { hash: string }; log: { logIndex: number } };
    const lastEvent = `${block.hash}:${log.logIndex}`;
    await args.context.db
      .insert(indexerState)
      .values({ domain, lastEvent, events: 1n })
      .onConflictDoUpdate((row) => ({ lastEvent, events: row.events + 1n }));
  });
}
