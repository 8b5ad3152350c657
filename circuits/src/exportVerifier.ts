/**
 * Print (or copy) the Solidity Groth16 verifier of the configured circuit:
 *   npx tsx circuits/src/exportVerifier.ts [destination.sol]
 * Runs the cached setup first if needed (TESSERA_CIRCUITS selects the circuit).
 */
import '../../scripts/polyfills.ts';
import { copyFile } from 'node:fs/promises';
import { exportSolidityVerifier } from './index.ts';

const { path, keys } = await exportSolidityVerifier();
const dest = process.argv[2];
if (dest) await copyFile(path, dest);
console.log(
  JSON.stringify({
    verifier: dest ?? path,
    circuitHash: keys.hash,
    constraints: keys.constraints,
    vkey: keys.vkeyPath,
  }),
);
process.exit(0);
