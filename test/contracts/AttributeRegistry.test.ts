import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { AttributeRule, CLEARANCE, PROJECT, deployAccessControl, namespaceId } from "./helpers/accessControlFixture";

const TOP = 0;
const SECRET = 1;
const CONFIDENTIAL = 2;
const PUBLIC = 3;
const APOLLO = 0;
const GEMINI = 1;
const MERCURY = 2;
const EU = 0;
const US = 1;
const APAC = 2;

const names = (n: number, prefix = "v") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe("AttributeRegistry", () => {
  async function fixture() {
    return deployAccessControl();
  }

  describe("createNamespace", () => {
    it("createNamespace_storesAuthorityRuleAndValuesAndEmits", async () => {
      const { attributes, stranger } = await loadFixture(fixture);
      const ns = namespaceId("department");
      expect(
        await attributes.connect(stranger).createNamespace.staticCall("department", AttributeRule.AnyOf, ["hr", "eng"]),
      ).to.equal(ns);
      await expect(attributes.connect(stranger).createNamespace("department", AttributeRule.AnyOf, ["hr", "eng"]))
        .to.emit(attributes, "NamespaceCreated")
        .withArgs(ns, "department", stranger.address, AttributeRule.AnyOf, ["hr", "eng"]);
      const record = await attributes.namespace(ns);
      expect(record.authority).to.equal(stranger.address);
      expect(record.rule).to.equal(AttributeRule.AnyOf);
      expect(record.valueCount).to.equal(2n);
    });

    it("createNamespace_acceptsEmptyValueList", async () => {
      const { attributes, stranger } = await loadFixture(fixture);
      await attributes.connect(stranger).createNamespace("empty", AttributeRule.AllOf, []);
      expect((await attributes.namespace(namespaceId("empty"))).valueCount).to.equal(0n);
    });

    it("createNamespace_acceptsMaximumNameLengthAndValueCount", async () => {
      const { attributes, stranger } = await loadFixture(fixture);
      const name = "n".repeat(64);
      const values = names(63).concat(["w".repeat(64)]);
      await attributes.connect(stranger).createNamespace(name, AttributeRule.Hierarchy, values);
      expect((await attributes.namespace(namespaceId(name))).valueCount).to.equal(64n);
    });

    it("createNamespace_revertsWhenNameEmpty", async () => {
      const { attributes, stranger } = await loadFixture(fixture);
      await expect(attributes.connect(stranger).createNamespace("", AttributeRule.AllOf, ["a"]))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryInvalidName")
        .withArgs("");
    });

    it("createNamespace_revertsWhenNameTooLong", async () => {
      const { attributes, stranger } = await loadFixture(fixture);
      await expect(attributes.connect(stranger).createNamespace("n".repeat(65), AttributeRule.AllOf, []))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryInvalidName")
        .withArgs("n".repeat(65));
      // The bound is in bytes: 22 three-byte characters are 66 bytes.
      await expect(
        attributes.connect(stranger).createNamespace("€".repeat(22), AttributeRule.AllOf, []),
      ).to.be.revertedWithCustomError(attributes, "AttributeRegistryInvalidName");
    });

    it("createNamespace_revertsWhenNameContainsSlash", async () => {
      const { attributes, stranger } = await loadFixture(fixture);
      await expect(attributes.connect(stranger).createNamespace("clearance/secret", AttributeRule.AllOf, []))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryInvalidName")
        .withArgs("clearance/secret");
    });

    it("createNamespace_revertsWhenNamespaceExists", async () => {
      const { attributes, authority, stranger, clearance } = await loadFixture(fixture);
      for (const caller of [authority, stranger]) {
        await expect(attributes.connect(caller).createNamespace(CLEARANCE.name, AttributeRule.AllOf, ["x"]))
          .to.be.revertedWithCustomError(attributes, "AttributeRegistryNamespaceExists")
          .withArgs(clearance);
      }
    });

    it("createNamespace_revertsWhenTooManyValues", async () => {
      const { attributes, stranger } = await loadFixture(fixture);
      await expect(attributes.connect(stranger).createNamespace("big", AttributeRule.AllOf, names(65)))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryTooManyValues")
        .withArgs(namespaceId("big"), 65);
    });

    it("createNamespace_revertsWhenValueNameDuplicate", async () => {
      const { attributes, stranger } = await loadFixture(fixture);
      await expect(attributes.connect(stranger).createNamespace("dup", AttributeRule.AllOf, ["a", "b", "a"]))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryDuplicateValue")
        .withArgs(namespaceId("dup"), "a");
    });

    it("createNamespace_revertsWhenValueNameInvalid", async () => {
      const { attributes, stranger } = await loadFixture(fixture);
      for (const bad of ["", "a/b", "v".repeat(65)]) {
        await expect(attributes.connect(stranger).createNamespace("ns", AttributeRule.AllOf, ["ok", bad]))
          .to.be.revertedWithCustomError(attributes, "AttributeRegistryInvalidName")
          .withArgs(bad);
      }
    });
  });

  describe("addValue", () => {
    it("addValue_appendsValueAndEmits", async () => {
      const { attributes, authority, project } = await loadFixture(fixture);
      expect(await attributes.connect(authority).addValue.staticCall(project, "skylab")).to.equal(3n);
      await expect(attributes.connect(authority).addValue(project, "skylab"))
        .to.emit(attributes, "NamespaceValueAdded")
        .withArgs(project, 3, "skylab");
      expect((await attributes.namespace(project)).valueCount).to.equal(4n);
    });

    it("addValue_appendsLowestRankToHierarchy", async () => {
      const { attributes, authority, reader, clearance } = await loadFixture(fixture);
      await attributes.connect(authority).addValue(clearance, "unclassified");
      await attributes.connect(authority).grant(clearance, reader.address, 4, 0);
      expect(await attributes.satisfies(clearance, reader.address, [4])).to.equal(true);
      expect(await attributes.satisfies(clearance, reader.address, [PUBLIC])).to.equal(false);
      await attributes.connect(authority).grant(clearance, reader.address, PUBLIC, 0);
      expect(await attributes.satisfies(clearance, reader.address, [PUBLIC])).to.equal(true);
    });

    it("addValue_revertsWhenNotAuthority", async () => {
      const { attributes, stranger, project } = await loadFixture(fixture);
      await expect(attributes.connect(stranger).addValue(project, "skylab"))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryNotAuthority")
        .withArgs(project, stranger.address);
    });

    it("addValue_revertsWhenNamespaceUnknown", async () => {
      const { attributes, authority } = await loadFixture(fixture);
      const unknown = namespaceId("unknown");
      await expect(attributes.connect(authority).addValue(unknown, "x"))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryUnknownNamespace")
        .withArgs(unknown);
    });

    it("addValue_revertsWhenValueNameDuplicate", async () => {
      const { attributes, authority, project } = await loadFixture(fixture);
      await expect(attributes.connect(authority).addValue(project, PROJECT.values[1]))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryDuplicateValue")
        .withArgs(project, PROJECT.values[1]);
    });

    it("addValue_revertsWhenValueNameInvalid", async () => {
      const { attributes, authority, project } = await loadFixture(fixture);
      for (const bad of ["", "x/y", "v".repeat(65)]) {
        await expect(attributes.connect(authority).addValue(project, bad))
          .to.be.revertedWithCustomError(attributes, "AttributeRegistryInvalidName")
          .withArgs(bad);
      }
    });

    it("addValue_revertsWhenNamespaceFull", async () => {
      const { attributes, stranger } = await loadFixture(fixture);
      await attributes.connect(stranger).createNamespace("full", AttributeRule.AllOf, names(64));
      await expect(attributes.connect(stranger).addValue(namespaceId("full"), "one-more"))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryTooManyValues")
        .withArgs(namespaceId("full"), 65);
    });
  });

  describe("transferAuthority", () => {
    it("transferAuthority_movesAuthorityAndEmits", async () => {
      const { attributes, authority, stranger, reader, project } = await loadFixture(fixture);
      await expect(attributes.connect(authority).transferAuthority(project, stranger.address))
        .to.emit(attributes, "NamespaceAuthorityTransferred")
        .withArgs(project, authority.address, stranger.address);
      expect((await attributes.namespace(project)).authority).to.equal(stranger.address);
      await expect(attributes.connect(authority).grant(project, reader.address, APOLLO, 0))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryNotAuthority")
        .withArgs(project, authority.address);
      await attributes.connect(stranger).grant(project, reader.address, APOLLO, 0);
      expect(await attributes.hasValue(project, reader.address, APOLLO)).to.equal(true);
    });

    it("transferAuthority_revertsWhenNotAuthority", async () => {
      const { attributes, stranger, project } = await loadFixture(fixture);
      await expect(attributes.connect(stranger).transferAuthority(project, stranger.address))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryNotAuthority")
        .withArgs(project, stranger.address);
    });

    it("transferAuthority_revertsWhenNewAuthorityZero", async () => {
      const { attributes, authority, project } = await loadFixture(fixture);
      await expect(attributes.connect(authority).transferAuthority(project, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryInvalidAuthority")
        .withArgs(ethers.ZeroAddress);
    });

    it("transferAuthority_revertsWhenNamespaceUnknown", async () => {
      const { attributes, authority } = await loadFixture(fixture);
      await expect(attributes.connect(authority).transferAuthority(namespaceId("nope"), authority.address))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryUnknownNamespace")
        .withArgs(namespaceId("nope"));
    });
  });

  describe("grant", () => {
    it("grant_issuesNeverExpiringGrantAndEmits", async () => {
      const { attributes, authority, reader, project } = await loadFixture(fixture);
      await expect(attributes.connect(authority).grant(project, reader.address, GEMINI, 0))
        .to.emit(attributes, "GrantIssued")
        .withArgs(project, reader.address, GEMINI, 0);
      expect(await attributes.hasValue(project, reader.address, GEMINI)).to.equal(true);
      expect(await attributes.hasValue(project, reader.address, APOLLO)).to.equal(false);
      expect(await attributes.grantOf(project, reader.address, GEMINI)).to.deep.equal([true, 0n]);
      await time.increase(10 * 365 * 24 * 3600);
      expect(await attributes.hasValue(project, reader.address, GEMINI)).to.equal(true);
    });

    it("grant_expiringGrantLapsesAtExpiry", async () => {
      const { attributes, authority, reader, project } = await loadFixture(fixture);
      const expiresAt = (await time.latest()) + 100;
      await expect(attributes.connect(authority).grant(project, reader.address, APOLLO, expiresAt))
        .to.emit(attributes, "GrantIssued")
        .withArgs(project, reader.address, APOLLO, expiresAt);
      await time.increaseTo(expiresAt - 1);
      expect(await attributes.hasValue(project, reader.address, APOLLO)).to.equal(true);
      await time.increaseTo(expiresAt);
      expect(await attributes.hasValue(project, reader.address, APOLLO)).to.equal(false);
      expect(await attributes.grantOf(project, reader.address, APOLLO)).to.deep.equal([true, BigInt(expiresAt)]);
    });

    it("grant_regrantReplacesExpiry", async () => {
      const { attributes, authority, reader, project } = await loadFixture(fixture);
      const now = await time.latest();
      await attributes.connect(authority).grant(project, reader.address, APOLLO, now + 100);
      await attributes.connect(authority).grant(project, reader.address, APOLLO, now + 1000);
      await time.increaseTo(now + 500);
      expect(await attributes.hasValue(project, reader.address, APOLLO)).to.equal(true);
      // Shortening works too, and a lapsed grant can be renewed.
      await attributes.connect(authority).grant(project, reader.address, APOLLO, now + 600);
      await time.increaseTo(now + 700);
      expect(await attributes.hasValue(project, reader.address, APOLLO)).to.equal(false);
      await attributes.connect(authority).grant(project, reader.address, APOLLO, 0);
      expect(await attributes.hasValue(project, reader.address, APOLLO)).to.equal(true);
      expect(await attributes.grantOf(project, reader.address, APOLLO)).to.deep.equal([true, 0n]);
    });

    it("grant_revertsWhenNotAuthority", async () => {
      const { attributes, stranger, reader, project } = await loadFixture(fixture);
      await expect(attributes.connect(stranger).grant(project, reader.address, APOLLO, 0))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryNotAuthority")
        .withArgs(project, stranger.address);
    });

    it("grant_revertsWhenNamespaceUnknown", async () => {
      const { attributes, authority, reader } = await loadFixture(fixture);
      await expect(attributes.connect(authority).grant(namespaceId("nope"), reader.address, 0, 0))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryUnknownNamespace")
        .withArgs(namespaceId("nope"));
    });

    it("grant_revertsWhenValueUnknown", async () => {
      const { attributes, authority, reader, project } = await loadFixture(fixture);
      await expect(attributes.connect(authority).grant(project, reader.address, 3, 0))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryUnknownValue")
        .withArgs(project, 3);
    });

    it("grant_revertsWhenAccountZero", async () => {
      const { attributes, authority, project } = await loadFixture(fixture);
      await expect(attributes.connect(authority).grant(project, ethers.ZeroAddress, APOLLO, 0))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryInvalidAccount")
        .withArgs(ethers.ZeroAddress);
    });

    it("grant_revertsWhenExpiryNotInFuture", async () => {
      const { attributes, authority, reader, project } = await loadFixture(fixture);
      const now = await time.latest();
      await time.setNextBlockTimestamp(now + 10);
      // Expiring in the block that mines the grant is already expired.
      await expect(attributes.connect(authority).grant(project, reader.address, APOLLO, now + 10))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryExpiryInPast")
        .withArgs(now + 10);
      await expect(attributes.connect(authority).grant(project, reader.address, APOLLO, 1))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryExpiryInPast")
        .withArgs(1);
    });
  });

  describe("grantMany", () => {
    it("grantMany_issuesEveryGrantAndEmits", async () => {
      const { attributes, authority, reader, stranger, region } = await loadFixture(fixture);
      const expiresAt = (await time.latest()) + 1000;
      const tx = attributes.connect(authority).grantMany(region, [
        { account: reader.address, value: EU, expiresAt: 0 },
        { account: reader.address, value: APAC, expiresAt },
        { account: stranger.address, value: US, expiresAt: 0 },
      ]);
      await expect(tx).to.emit(attributes, "GrantIssued").withArgs(region, reader.address, EU, 0);
      await expect(tx).to.emit(attributes, "GrantIssued").withArgs(region, reader.address, APAC, expiresAt);
      await expect(tx).to.emit(attributes, "GrantIssued").withArgs(region, stranger.address, US, 0);
      expect(await attributes.hasValue(region, reader.address, EU)).to.equal(true);
      expect(await attributes.hasValue(region, reader.address, APAC)).to.equal(true);
      expect(await attributes.hasValue(region, reader.address, US)).to.equal(false);
      expect(await attributes.hasValue(region, stranger.address, US)).to.equal(true);
    });

    it("grantMany_revertsAtomicallyWhenOneGrantInvalid", async () => {
      const { attributes, authority, reader, region } = await loadFixture(fixture);
      await expect(
        attributes.connect(authority).grantMany(region, [
          { account: reader.address, value: EU, expiresAt: 0 },
          { account: reader.address, value: 9, expiresAt: 0 },
        ]),
      )
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryUnknownValue")
        .withArgs(region, 9);
      expect(await attributes.hasValue(region, reader.address, EU)).to.equal(false);
    });

    it("grantMany_revertsWhenNotAuthority", async () => {
      const { attributes, stranger, region } = await loadFixture(fixture);
      await expect(
        attributes.connect(stranger).grantMany(region, [{ account: stranger.address, value: EU, expiresAt: 0 }]),
      )
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryNotAuthority")
        .withArgs(region, stranger.address);
    });
  });

  describe("revokeGrant", () => {
    it("revokeGrant_removesGrantAndEmits", async () => {
      const { attributes, authority, reader, project } = await loadFixture(fixture);
      await attributes.connect(authority).grant(project, reader.address, MERCURY, 0);
      await expect(attributes.connect(authority).revokeGrant(project, reader.address, MERCURY))
        .to.emit(attributes, "GrantRevoked")
        .withArgs(project, reader.address, MERCURY);
      expect(await attributes.hasValue(project, reader.address, MERCURY)).to.equal(false);
      expect(await attributes.grantOf(project, reader.address, MERCURY)).to.deep.equal([false, 0n]);
    });

    it("revokeGrant_revertsWhenNoGrant", async () => {
      const { attributes, authority, reader, project } = await loadFixture(fixture);
      await expect(attributes.connect(authority).revokeGrant(project, reader.address, APOLLO))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryNoLiveGrant")
        .withArgs(project, reader.address, APOLLO);
    });

    it("revokeGrant_revertsWhenAlreadyRevoked", async () => {
      const { attributes, authority, reader, project } = await loadFixture(fixture);
      await attributes.connect(authority).grant(project, reader.address, APOLLO, 0);
      await attributes.connect(authority).revokeGrant(project, reader.address, APOLLO);
      await expect(attributes.connect(authority).revokeGrant(project, reader.address, APOLLO))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryNoLiveGrant")
        .withArgs(project, reader.address, APOLLO);
    });

    it("revokeGrant_revertsWhenGrantExpired", async () => {
      const { attributes, authority, reader, project } = await loadFixture(fixture);
      const expiresAt = (await time.latest()) + 50;
      await attributes.connect(authority).grant(project, reader.address, APOLLO, expiresAt);
      await time.setNextBlockTimestamp(expiresAt);
      await expect(attributes.connect(authority).revokeGrant(project, reader.address, APOLLO))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryNoLiveGrant")
        .withArgs(project, reader.address, APOLLO);
    });

    it("revokeGrant_revertsWhenValueUnknown", async () => {
      const { attributes, authority, reader, project } = await loadFixture(fixture);
      await expect(attributes.connect(authority).revokeGrant(project, reader.address, 200))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryNoLiveGrant")
        .withArgs(project, reader.address, 200);
    });

    it("revokeGrant_revertsWhenNotAuthority", async () => {
      const { attributes, authority, stranger, reader, project } = await loadFixture(fixture);
      await attributes.connect(authority).grant(project, reader.address, APOLLO, 0);
      await expect(attributes.connect(stranger).revokeGrant(project, reader.address, APOLLO))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryNotAuthority")
        .withArgs(project, stranger.address);
    });
  });

  describe("views", () => {
    it("namespace_returnsZeroForUnknownNamespace", async () => {
      const { attributes } = await loadFixture(fixture);
      const record = await attributes.namespace(namespaceId("nope"));
      expect(record.authority).to.equal(ethers.ZeroAddress);
      expect(record.valueCount).to.equal(0n);
    });

    it("hasValue_isFalseForUnknownNamespaceOrValue", async () => {
      const { attributes, reader, project } = await loadFixture(fixture);
      expect(await attributes.hasValue(namespaceId("nope"), reader.address, 0)).to.equal(false);
      expect(await attributes.hasValue(project, reader.address, 255)).to.equal(false);
      expect(await attributes.grantOf(project, reader.address, 255)).to.deep.equal([false, 0n]);
    });

    it("satisfies_allOfNeedsEveryValue", async () => {
      const { attributes, authority, reader, project } = await loadFixture(fixture);
      await attributes.connect(authority).grant(project, reader.address, APOLLO, 0);
      expect(await attributes.satisfies(project, reader.address, [APOLLO])).to.equal(true);
      expect(await attributes.satisfies(project, reader.address, [APOLLO, GEMINI])).to.equal(false);
      await attributes.connect(authority).grant(project, reader.address, GEMINI, 0);
      expect(await attributes.satisfies(project, reader.address, [APOLLO, GEMINI])).to.equal(true);
      expect(await attributes.satisfies(project, reader.address, [APOLLO, GEMINI, MERCURY])).to.equal(false);
    });

    it("satisfies_anyOfNeedsOneValue", async () => {
      const { attributes, authority, reader, region } = await loadFixture(fixture);
      expect(await attributes.satisfies(region, reader.address, [EU, US])).to.equal(false);
      await attributes.connect(authority).grant(region, reader.address, US, 0);
      expect(await attributes.satisfies(region, reader.address, [EU, US])).to.equal(true);
      expect(await attributes.satisfies(region, reader.address, [EU, APAC])).to.equal(false);
    });

    it("satisfies_hierarchyNeedsRankAtLeastHighestRequired", async () => {
      const { attributes, authority, reader, clearance } = await loadFixture(fixture);
      await attributes.connect(authority).grant(clearance, reader.address, SECRET, 0);
      expect(await attributes.satisfies(clearance, reader.address, [PUBLIC])).to.equal(true); // higher
      expect(await attributes.satisfies(clearance, reader.address, [SECRET])).to.equal(true); // equal
      expect(await attributes.satisfies(clearance, reader.address, [TOP])).to.equal(false); // lower
      // Several required ranks: the highest counts.
      expect(await attributes.satisfies(clearance, reader.address, [SECRET, CONFIDENTIAL])).to.equal(true);
      expect(await attributes.satisfies(clearance, reader.address, [TOP, PUBLIC])).to.equal(false);
    });

    it("satisfies_ignoresExpiredAndRevokedGrants", async () => {
      const { attributes, authority, reader, clearance } = await loadFixture(fixture);
      const expiresAt = (await time.latest()) + 100;
      await attributes.connect(authority).grant(clearance, reader.address, TOP, expiresAt);
      await attributes.connect(authority).grant(clearance, reader.address, SECRET, 0);
      expect(await attributes.satisfies(clearance, reader.address, [TOP])).to.equal(true);
      await time.increaseTo(expiresAt);
      expect(await attributes.satisfies(clearance, reader.address, [TOP])).to.equal(false);
      expect(await attributes.satisfies(clearance, reader.address, [CONFIDENTIAL])).to.equal(true);
      await attributes.connect(authority).revokeGrant(clearance, reader.address, SECRET);
      expect(await attributes.satisfies(clearance, reader.address, [CONFIDENTIAL])).to.equal(false);
    });

    it("satisfies_emptyRequirementIsSatisfied", async () => {
      const { attributes, reader, clearance, project, region } = await loadFixture(fixture);
      for (const ns of [clearance, project, region]) {
        expect(await attributes.satisfies(ns, reader.address, [])).to.equal(true);
      }
    });

    it("satisfies_revertsWhenNamespaceOrValueUnknown", async () => {
      const { attributes, reader, project } = await loadFixture(fixture);
      await expect(attributes.satisfies(namespaceId("nope"), reader.address, [0]))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryUnknownNamespace")
        .withArgs(namespaceId("nope"));
      await expect(attributes.satisfies(project, reader.address, [APOLLO, 3]))
        .to.be.revertedWithCustomError(attributes, "AttributeRegistryUnknownValue")
        .withArgs(project, 3);
    });
  });
});
