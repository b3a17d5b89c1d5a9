/**
 * linkSignals: AbortSignal.any for a call that ends, without references left on the sources
 * once the call has released it (the service's shutdown signal lives as long as the node).
 */
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { describe, it } from "node:test";
import { linkSignals } from "../../node/protocol/abort.js";

describe("linkSignals", () => {
  it("aborts when either source aborts, with that source's reason", () => {
    for (const which of [0, 1]) {
      const sources = [new AbortController(), new AbortController()];
      const link = linkSignals(sources[0]!.signal, sources[1]!.signal);
      assert.equal(link.signal.aborted, false);
      const reason = new Error(`source ${which}`);
      sources[which]!.abort(reason);
      assert.equal(link.signal.aborted, true);
      assert.equal(link.signal.reason, reason);
      link.release();
    }
  });

  it("is aborted at once if a source already is", () => {
    const done = new AbortController();
    done.abort(new Error("earlier"));
    const live = new AbortController();
    for (const link of [linkSignals(done.signal, live.signal), linkSignals(live.signal, done.signal)]) {
      assert.equal(link.signal.aborted, true);
      assert.equal((link.signal.reason as Error).message, "earlier");
      link.release();
    }
    assert.equal(getEventListeners(live.signal, "abort").length, 0);
  });

  it("release leaves no listener on either source, and a later abort no longer reaches the link", () => {
    const request = new AbortController();
    const shutdown = new AbortController();
    const links = Array.from({ length: 100 }, () => linkSignals(request.signal, shutdown.signal));
    assert.equal(getEventListeners(shutdown.signal, "abort").length, 100);
    for (const link of links) link.release();
    assert.equal(getEventListeners(shutdown.signal, "abort").length, 0);
    assert.equal(getEventListeners(request.signal, "abort").length, 0);
    shutdown.abort();
    assert.ok(links.every((link) => !link.signal.aborted));
  });
});
