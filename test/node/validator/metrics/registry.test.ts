/**
 * The metrics registry: counters, gauges, histograms with labels, pull collectors, the text
 * format 0.0.4 (read back with a strict parser), escaping, and typed refusals of bad names,
 * labels and values.
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

  it("the dekmesh_ prefix is added once whether or not the caller wrote it", () => {
    const registry = createMetricsRegistry();
    assert.equal(registry.counter("a_total", "A."), registry.counter("dekmesh_a_total", "A."));
    assert.equal(registry.gauge("dekmesh_g", "G.").name, "dekmesh_g");
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
    assert.deepEqual(latency.get({ route: "has" }).count, 2);
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

  it("error: invalid metric and label names", () => {
    const registry = createMetricsRegistry();
    refusedWith(() => registry.counter("bad-name", "x"), "METRICS_INVALID_NAME");
    refusedWith(() => registry.counter("has space", "x"), "METRICS_INVALID_NAME");
    refusedWith(() => registry.counter("ok_total", "x", ["bad label"]), "METRICS_INVALID_NAME");
    refusedWith(() => registry.counter("ok_total", "x", ["__reserved"]), "METRICS_INVALID_NAME");
    refusedWith(() => registry.counter("ok_total", "x", ["a", "a"]), "METRICS_INVALID_NAME");
    refusedWith(() => registry.histogram("h", "x", [1], ["le"]), "METRICS_INVALID_NAME");
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

  it("error: wrong label sets, negative increments, NaN and bad buckets", () => {
    const registry = createMetricsRegistry();
    const c = registry.counter("c_total", "C.", ["route"]);
    refusedWith(() => c.inc(), "METRICS_INVALID_LABELS");
    refusedWith(() => c.inc({ rout: "x" }), "METRICS_INVALID_LABELS");
    refusedWith(() => c.inc({ route: "x", extra: "y" }), "METRICS_INVALID_LABELS");
    refusedWith(() => c.inc({ route: "x" }, -1), "METRICS_INVALID_VALUE");
    refusedWith(() => registry.gauge("g", "G.").set(Number.NaN), "METRICS_INVALID_VALUE");
    refusedWith(() => registry.histogram("h1", "H.", []), "METRICS_INVALID_VALUE");
    refusedWith(() => registry.histogram("h2", "H.", [1, 1]), "METRICS_INVALID_VALUE");
    refusedWith(() => registry.histogram("h3", "H.", [1, Infinity]), "METRICS_INVALID_VALUE");
    assert.equal(c.get({ route: "x" }), 0, "nothing was counted by the refused calls");
  });
});
