// Deploys every dekmesh contract to the network Hardhat was given and writes
// deployments/<chainId>.json. Usage:
//   npx hardhat run scripts/deploy.ts --network localhost
//   DEKMESH_RPC_URL=… DEKMESH_DEPLOYER_KEY=… npx hardhat run scripts/deploy.ts --network testnet
// Parameters come from DEKMESH_* environment variables (see README, "Deploying to a testnet").
import hre from "hardhat";
import { deployDekmesh, deployParametersFromEnv, writeDeployment } from "./lib/deployment";

async function main() {
  const [signer] = await hre.ethers.getSigners();
  if (!signer) throw new Error("no deployer account: set DEKMESH_DEPLOYER_KEY");
  const chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
  const params = deployParametersFromEnv(process.env, chainId, signer.address);
  const deployment = await deployDekmesh(hre, params);
  const file = writeDeployment(deployment, process.env.DEKMESH_DEPLOYMENTS_DIR);
  for (const [name, c] of Object.entries(deployment.contracts)) {
    console.log(`${name.padEnd(18)} ${c.address} (block ${c.block})`);
  }
  console.log(`wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
