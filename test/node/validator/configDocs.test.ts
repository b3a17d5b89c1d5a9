/** docs/validator.md's configuration table is generated from the settings table; this keeps the committed one current. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { DOCS_FILE, withConfigTable } from "../../../scripts/docs-config.mjs";

describe("validator config: docs table", () => {
  it("docs/validator.md holds the table generated from node/validator/configSchema.ts", () => {
    const committed = readFileSync(DOCS_FILE, "utf8");
    assert.ok(committed === withConfigTable(committed), "docs/validator.md's configuration table is out of date: run `npm run docs:config`");
  });
});
