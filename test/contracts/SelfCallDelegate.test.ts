import { expect } from "chai";
import { ethers } from "hardhat";

// The test-only EIP-7702 delegate of the indexer scenario (which exercises it as a delegate):
// called directly, as a plain contract, it refuses anyone but itself and calls nothing.
describe("SelfCallDelegate (test-only)", () => {
  it("execute_refusesAnyCallerButTheAccountItself", async () => {
    const [stranger] = await ethers.getSigners();
    const delegate = await (await ethers.getContractFactory("SelfCallDelegate")).deploy();
    const token = await (await ethers.getContractFactory("StakeToken")).deploy(stranger!.address);
    const mint = token.interface.encodeFunctionData("mint", [stranger!.address, 1n]);
    await expect(delegate.connect(stranger!).execute(await token.getAddress(), mint))
      .to.be.revertedWithCustomError(delegate, "SelfCallDelegateNotSelf")
      .withArgs(stranger!.address);
    expect(await token.balanceOf(stranger!.address)).to.equal(0n);
  });
});
