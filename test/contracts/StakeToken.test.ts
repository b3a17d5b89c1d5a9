import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployFixture, TOKEN } from "./helpers/fixtures";

// The devnet's mintable stake token (a testnet may stake an existing ERC-20 instead).
describe("StakeToken", () => {
  it("mint_onlyOwner", async () => {
    const { token, deployer, stranger } = await loadFixture(deployFixture);
    await expect(token.connect(deployer).mint(stranger.address, 5n * TOKEN)).to.changeTokenBalance(
      token,
      stranger,
      5n * TOKEN,
    );
    await expect(token.connect(stranger).mint(stranger.address, TOKEN))
      .to.be.revertedWithCustomError(token, "OwnableUnauthorizedAccount")
      .withArgs(stranger.address);
    expect(await token.balanceOf(stranger.address)).to.equal(5n * TOKEN);
  });
});
