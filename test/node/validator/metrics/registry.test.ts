/**
 * The metrics registry on prom-client: counters, gauges, histograms with labels, pull
 * collectors (cached per collector, single flight), the text format 0.0.4 (read back with a strict parser), escaping, one registry
 * per node with the process metrics optional, and typed refusals of bad or conflicting
 * definitions.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMetricsRegistry, MetricsError } from "../../../../node/validator/metrics/index.js";
import { parseExposition, sampleValue } from "./exposition.js";

function refusedWith(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => error instanceof MetricsError && error.code === code);
}

describe("metrics registry", () => {
  it("counters and gauges with and without labels render as text format 0.0.4", async () => {
    const registry = createMetricsRegistry();
    const served = registry.counter("rewraps_total", "Rewraps served.", ["mode"]);
    const plain = registry.counter("dekmesh_restarts_total", "Restarts.");
    const peers = registry.gauge("p2p_peers", "Connected peers.");
    served.inc({ mode: "session" });
    served.inc({ mode: "session" }, 2);
    served.inc({ mode: "eip712" });
    plain.inc();
    peers.set(5);
    peers.inc();
    peers.dec(2);
    const families = parseExposition(await registry.render());
    assert.equal(families.get("dekmesh_rewraps_total")?.type, "counter");
    assert.equal(families.get("dekmesh_rewraps_total")?.help, "Rewraps served.");
    assert.equal(sampleValue(families, "dekmesh_rewraps_total", { mode: "session" }), 3);
    assert.equal(sampleValue(families, "dekmesh_rewraps_total", { mode: "eip712" }), 1);
    assert.equal(sampleValue(families, "dekmesh_restarts_total"), 1);
    assert.equal(sampleValue(families, "dekmesh_p2p_peers"), 4);
    assert.equal(families.get("dekmesh_p2p_peers")?.type, "gauge");
  });

  it("the dekmesh_ prefix is added once whether or not the caller wrote it", async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    assert.equal(registry.counter("a_total", "A."), registry.counter("dekmesh_a_total", "A."));
    registry.gauge("dekmesh_g", "G.").set(1);
    assert.deepEqual([...parseExposition(await registry.render()).keys()].sort(), ["dekmesh_a_total", "dekmesh_g", "dekmesh_metrics_collect_failures_total"]);
  });

  it("histograms are cumulative, end in +Inf and count every observation", async () => {
    const registry = createMetricsRegistry();
    const latency = registry.histogram("latency_seconds", "Latency.", [0.01, 0.1, 1], ["route"]);
    for (const v of [0.005, 0.01, 0.05, 0.5, 3]) latency.observe({ route: "rewrap" }, v);
    latency.observe({ route: "has" }, 0.2);
    const done = latency.startTimer({ route: "has" });
    assert.ok(done() >= 0);
    const families = parseExposition(await registry.render());
    const bucket = (le: string) => sampleValue(families, "dekmesh_latency_seconds_bucket", { route: "rewrap", le });
    assert.deepEqual([bucket("0.01"), bucket("0.1"), bucket("1"), bucket("+Inf")], [2, 3, 4, 5]);
    assert.equal(sampleValue(families, "dekmesh_latency_seconds_count", { route: "rewrap" }), 5);
    assert.ok(Math.abs(sampleValue(families, "dekmesh_latency_seconds_sum", { route: "rewrap" })! - 3.565) < 1e-9);
    assert.equal(sampleValue(families, "dekmesh_latency_seconds_count", { route: "has" }), 2);
  });

  it("label values and help text are escaped and read back unchanged", async () => {
    const registry = createMetricsRegistry();
    const weird = 'a"b\\c\nd{e}=,f';
    registry.counter("odd_total", "Help with \\ and\na newline.", ["value"]).inc({ value: weird });
    const text = await registry.render();
    assert.ok(text.includes('value="a\\"b\\\\c\\nd{e}=,f"'));
    const families = parseExposition(text);
    assert.equal(sampleValue(families, "dekmesh_odd_total", { value: weird }), 1);
    assert.equal(families.get("dekmesh_odd_total")?.help, "Help with \\ and\na newline.");
  });

  it("non-finite gauge values use +Inf, -Inf and NaN", async () => {
    const registry = createMetricsRegistry();
    const g = registry.gauge("g", "G.", ["k"]);
    g.set({ k: "a" }, Infinity);
    g.set({ k: "b" }, -Infinity);
    const text = await registry.render();
    assert.match(text, /dekmesh_g\{k="a"\} \+Inf/);
    assert.match(text, /dekmesh_g\{k="b"\} -Inf/);
    parseExposition(text);
  });

  it("pull collectors run before each render; a failing or hanging one is skipped and counted", async () => {
    const registry = createMetricsRegistry({ collectTimeoutMs: 50 });
    const size = registry.gauge("store_deks", "DEKs held.");
    let deks = 0;
    registry.collect(() => size.set(++deks));
    registry.collect(async () => {
      throw new Error("store closed");
    });
    registry.collect(() => new Promise<void>(() => {}));
    let families = parseExposition(await registry.render());
    assert.equal(sampleValue(families, "dekmesh_store_deks"), 1);
    assert.equal(sampleValue(families, "dekmesh_metrics_collect_failures_total"), 2);
    families = parseExposition(await registry.render());
    assert.equal(sampleValue(families, "dekmesh_store_deks"), 2);
    assert.equal(sampleValue(families, "dekmesh_metrics_collect_failures_total"), 4);
  });

  it("a collector with maxAgeMs runs at most once per period; concurrent renders share one run (single flight)", async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const rows = registry.gauge("store_rows", "Rows.");
    let runs = 0;
    let release: () => void = () => {};
    registry.collect(
      async () => {
        runs++;
        await new Promise<void>((resolve) => (release = resolve));
        rows.set(runs);
      },
      { maxAgeMs: 200 },
    );
    const scrapes = Array.from({ length: 8 }, () => registry.render());
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(runs, 1, "eight concurrent renders, one run");
    release();
    for (const text of await Promise.all(scrapes)) assert.equal(sampleValue(parseExposition(text), "dekmesh_store_rows"), 1);
    for (let i = 0; i < 20; i++) assert.equal(sampleValue(parseExposition(await registry.render()), "dekmesh_store_rows"), 1);
    assert.equal(runs, 1, "renders within the period reuse the values");
    await new Promise((resolve) => setTimeout(resolve, 220));
    const next = registry.render();
    await new Promise((resolve) => setImmediate(resolve));
    release();
    assert.equal(sampleValue(parseExposition(await next), "dekmesh_store_rows"), 2, "after the period the collector runs again");
  });

  it("a collector that failed runs again at the next render, whatever its maxAgeMs", async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    let runs = 0;
    registry.collect(
      () => {
        runs++;
        throw new Error("store busy");
      },
      { maxAgeMs: 60_000 },
    );
    await registry.render();
    const families = parseExposition(await registry.render());
    assert.equal(runs, 2);
    assert.equal(sampleValue(families, "dekmesh_metrics_collect_failures_total"), 2);
  });

  it("reset and remove forget series (a collector's label sets that no longer exist)", async () => {
    const registry = createMetricsRegistry();
    const g = registry.gauge("peer_rtt", "RTT.", ["peer"]);
    g.set({ peer: "a" }, 1);
    g.set({ peer: "b" }, 2);
    g.remove({ peer: "a" });
    let families = parseExposition(await registry.render());
    assert.equal(sampleValue(families, "dekmesh_peer_rtt", { peer: "a" }), undefined);
    assert.equal(sampleValue(families, "dekmesh_peer_rtt", { peer: "b" }), 2);
    g.reset();
    families = parseExposition(await registry.render());
    assert.equal(families.get("dekmesh_peer_rtt")?.samples.length, 0);
  });

  it("process metrics are on by default and off on request; each registry renders only its own series", async () => {
    const withProcess = createMetricsRegistry();
    const without = createMetricsRegistry({ processMetrics: false });
    withProcess.counter("rewraps_total", "Rewraps.").inc(3);
    without.counter("rewraps_total", "Rewraps.").inc();
    const a = parseExposition(await withProcess.render());
    const b = parseExposition(await without.render());
    for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_seconds", "nodejs_heap_size_used_bytes"]) {
      assert.ok(a.has(name), name);
      assert.ok(!b.has(name), name);
    }
    assert.equal(a.get("nodejs_gc_duration_seconds")?.type, "histogram");
    assert.equal(sampleValue(a, "dekmesh_rewraps_total"), 3);
    assert.equal(sampleValue(b, "dekmesh_rewraps_total"), 1);
    assert.deepEqual([...b.keys()].filter((name) => !name.startsWith("dekmesh_")), []);
  });

  it("error: invalid metric and label names", () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    refusedWith(() => registry.counter("bad-name", "x"), "METRICS_INVALID_DEFINITION");
    refusedWith(() => registry.counter("has space", "x"), "METRICS_INVALID_DEFINITION");
    refusedWith(() => registry.counter("ok_total", "x", ["bad label"]), "METRICS_INVALID_DEFINITION");
    refusedWith(() => registry.histogram("h", "x", [1], ["le"]), "METRICS_INVALID_DEFINITION");
    refusedWith(() => registry.gauge("no_help", ""), "METRICS_INVALID_DEFINITION");
  });

  it("error: the same name defined differently", () => {
    const registry = createMetricsRegistry();
    registry.counter("x_total", "X.", ["a"]);
    refusedWith(() => registry.gauge("x_total", "X.", ["a"]), "METRICS_CONFLICT");
    refusedWith(() => registry.counter("x_total", "X.", ["b"]), "METRICS_CONFLICT");
    refusedWith(() => registry.counter("x_total", "other help", ["a"]), "METRICS_CONFLICT");
    registry.histogram("h", "H.", [1, 2]);
    refusedWith(() => registry.histogram("h", "H.", [1, 3]), "METRICS_CONFLICT");
  });

  it("error: an update with a label the metric does not have, or a counter decreased (prom-client's refusals)", async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const c = registry.counter("c_total", "C.", ["route"]);
    // The label names are typed, so these only get here through a cast.
    assert.throws(() => c.inc({ rout: "x" } as never), /not included in initial labelset/);
    assert.throws(() => c.inc({ route: "x", extra: "y" } as never), /not included in initial labelset/);
    assert.throws(() => c.inc({ route: "x" }, -1), /not possible to decrease a counter/);
    assert.equal(parseExposition(await registry.render()).get("dekmesh_c_total")?.samples.length, 0, "nothing was counted by the refused calls");
  });
});
