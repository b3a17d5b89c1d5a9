/**
 * A strict reader of the Prometheus text format 0.0.4, written from the format's grammar (not
 * from the renderer) so the tests check the output a real scraper would read: every line is
 * empty (ignored), a HELP, a TYPE or a sample; values are what Go's ParseFloat reads; label
 * values are unescaped; every sample belongs to the family TYPEd before it; histogram buckets
 * are cumulative and end in +Inf = _count.
 */
import assert from "node:assert/strict";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: string;
  samples: Sample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE = new RegExp(`^(${NAME})(\\{(.*)\\})? (\\S+)$`);

function parseValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  // Go's ParseFloat takes NaN in any case (prom-client writes "Nan").
  if (text.toLowerCase() === "nan") return Number.NaN;
  assert.match(text, /^-?[0-9.]+(e[-+]?[0-9]+)?$/i, `bad value ${text}`);
  return Number(text);
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    assert.ok(name, `bad label name at ${text.slice(i)}`);
    i += name[0].length;
    assert.equal(text.slice(i, i + 2), '="', "label needs =\"");
    i += 2;
    let value = "";
    for (;;) {
      assert.ok(i < text.length, "unterminated label value");
      const c = text[i++]!;
      if (c === '"') break;
      if (c === "\\") {
        const e = text[i++];
        if (e === "n") value += "\n";
        else if (e === "\\" || e === '"') value += e;
        else assert.fail(`bad escape \\${e}`);
      } else {
        assert.notEqual(c, "\n");
        value += c;
      }
    }
    assert.ok(!(name[0] in labels), `duplicate label ${name[0]}`);
    labels[name[0]] = value;
    if (text[i] === ",") i++;
  }
  return labels;
}

function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  for (const suffix of ["", "_bucket", "_sum", "_count"]) {
    if (suffix !== "" && !sample.endsWith(suffix)) continue;
    const family = families.get(sample.slice(0, sample.length - suffix.length));
    if (family && (suffix === "" || family.type === "histogram")) return family;
  }
  return undefined;
}

export function parseExposition(text: string): Map<string, Family> {
  assert.ok(text.endsWith("\n"), "exposition ends with a line feed");
  const families = new Map<string, Family>();
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.length === 0) continue;
    if (line.startsWith("# HELP ")) {
      const m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line);
      assert.ok(m, `bad HELP line: ${line}`);
      assert.ok(!families.has(m[1]!), `family ${m[1]} twice`);
      families.set(m[1]!, { name: m[1]!, help: m[2]!.replace(/\\n/g, "\n").replace(/\\\\/g, "\\"), type: "untyped", samples: [] });
    } else if (line.startsWith("# TYPE ")) {
      const m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
      assert.ok(m, `bad TYPE line: ${line}`);
      const family = families.get(m[1]!);
      assert.ok(family && family.samples.length === 0, `TYPE before samples of ${m[1]}`);
      family.type = m[2]!;
    } else {
      assert.ok(!line.startsWith("#") && line.length > 0, `unexpected line: ${line}`);
      const m = SAMPLE.exec(line);
      assert.ok(m, `bad sample line: ${line}`);
      const family = familyOf(m[1]!, families);
      assert.ok(family, `sample ${m[1]} outside its family`);
      family.samples.push({ name: m[1]!, labels: m[3] === undefined ? {} : parseLabels(m[3]), value: parseValue(m[4]!) });
    }
  }
  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family);
  return families;
}

function checkHistogram(family: Family): void {
  const groups = new Map<string, Sample[]>();
  for (const s of family.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(rest);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const samples of groups.values()) {
    const buckets = samples.filter((s) => s.name.endsWith("_bucket"));
    assert.ok(buckets.length > 0 && buckets.at(-1)!.labels.le === "+Inf", `${family.name}: buckets end in +Inf`);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, `${family.name}: buckets are cumulative`);
    const count = samples.find((s) => s.name.endsWith("_count"));
    assert.equal(count?.value, buckets.at(-1)!.value, `${family.name}: +Inf bucket = _count`);
    assert.ok(samples.some((s) => s.name.endsWith("_sum")), `${family.name}: has _sum`);
  }
}

/** The value of one sample, by name and labels (exact match). */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort())) return s.value;
    }
  }
  return undefined;
}
