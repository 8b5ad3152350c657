import type { Hex } from 'viem';
// @tessera/contracts: the L1 rollup and bridge, their compiler, deployment and encoding helpers.
import {
  erc1967ProxyAbi,
  tesseraBridgeAbi,
  tesseraRollupAbi,
  timelockControllerAbi,
  verifierAbi,
} from './abi.ts';
import { artifactOf, compileProjectSources } from './compile.ts';

export * from './abi.ts';
export * from './anvil.ts';
export * from './batch.ts';
export * from './deploy.ts';
export * from './escape.ts';
export * from './poseidon.ts';
export { type Artifact, CompilationError, compileSources, readSources, cacheDir } from './compile.ts';

/** Compiles `contracts/src` (cached) and returns the typed ABIs with their creation bytecode. */
export async function compileContracts() {
  const a = await compileProjectSources();
  const bytecode = (name: string): Hex => artifactOf(a, name).bytecode;
  return {
    TesseraRollup: { abi: tesseraRollupAbi, bytecode: bytecode('TesseraRollup') },
    TesseraBridge: { abi: tesseraBridgeAbi, bytecode: bytecode('TesseraBridge') },
    TimelockController: { abi: timelockControllerAbi, bytecode: bytecode('TimelockController') },
    ERC1967Proxy: { abi: erc1967ProxyAbi, bytecode: bytecode('ERC1967Proxy') },
    IVerifier: { abi: verifierAbi },
  } as const;
}
