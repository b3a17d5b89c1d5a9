import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployParametersFromEnv, verifyDeployment, type Deployment } from "../../scripts/lib/deployment";
import { deployFixture } from "./helpers/fixtures";

const DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

function withContract(d: Deployment, name: keyof Deployment["contracts"], address: string): Deployment {
  return { ...d, contracts: { ...d.contracts, [name]: { ...d.contracts[name], address } } };
}

describe("deployment", () => {
  it("verifyDeployment_acceptsACompleteDeployment", async () => {
    const { deployment } = await loadFixture(deployFixture);
    await verifyDeployment(hre, deployment);
  });

  it("verifyDeployment_rejectsAMissingOrCodelessContract", async () => {
    const { deployment } = await loadFixture(deployFixture);
    const { RewrapAuditLog: _dropped, ...rest } = deployment.contracts;
    await expect(verifyDeployment(hre, { ...deployment, contracts: rest } as Deployment)).to.be.rejectedWith(
      "deployment is missing RewrapAuditLog",
    );
    await expect(verifyDeployment(hre, withContract(deployment, "ContentRegistry", DEPLOYER))).to.be.rejectedWith(
      /ContentRegistry has no code/,
    );
  });

  it("verifyDeployment_rejectsMiswiredContracts", async () => {
    const { deployment } = await loadFixture(deployFixture);
    // A second, unwired content registry: the validator registry's handoff gate points elsewhere.
    const factory = await ethers.getContractFactory("ContentRegistry");
    const stray = await factory.deploy(deployment.contracts.ValidatorRegistry.address, deployment.contracts.PolicyRegistry.address);
    await expect(
      verifyDeployment(hre, withContract(deployment, "ContentRegistry", await stray.getAddress())),
    ).to.be.rejectedWith("deployment is inconsistent: ValidatorRegistry.handoffGate");
  });

  it("deployParametersFromEnv_defaultsPerChainAndValidatesInput", () => {
    const dev = deployParametersFromEnv({}, 31337, DEPLOYER);
    expect(dev.unbondingPeriod).to.equal(60);
    expect(dev.confirmations).to.equal(1);
    expect(dev.adjudicator).to.equal(DEPLOYER);
    const testnet = deployParametersFromEnv({ DEKMESH_CONFIRMATIONS: "5" }, 11155111, DEPLOYER);
    expect(testnet.unbondingPeriod).to.equal(7 * 24 * 3600);
    expect(testnet.confirmations).to.equal(5);
    expect(() => deployParametersFromEnv({ DEKMESH_MIN_STAKE: "1e21" }, 1, DEPLOYER)).to.throw(/DEKMESH_MIN_STAKE/);
    expect(() => deployParametersFromEnv({ DEKMESH_STAKE_TOKEN: "0x12" }, 1, DEPLOYER)).to.throw(/DEKMESH_STAKE_TOKEN/);
    expect(() => deployParametersFromEnv({ DEKMESH_ADJUDICATOR: "nobody" }, 1, DEPLOYER)).to.throw(/DEKMESH_ADJUDICATOR/);
  });
});
