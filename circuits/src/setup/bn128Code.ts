import { buildBn128 } from 'ffjavascript';

let cachedCode: Uint8Array | undefined;

/** The compiled wasm bytes of ffjavascript's bn128 module (built once per process). */
export async function bn128WasmCode(): Promise<Uint8Array> {
  if (!cachedCode) {
    const curve = await buildBn128(true);
    cachedCode = new Uint8Array(curve.tm.code);
    await curve.terminate();
  }
  return cachedCode;
}

/** Static pointers of the generators inside the module's data segment (same for every instance). */
export type GeneratorPointers = { G1: number; G2: number };

export async function bn128GeneratorPointers(): Promise<GeneratorPointers> {
  const curve = await buildBn128(true);
  const out = { G1: curve.tm.pG1gen as number, G2: curve.tm.pG2gen as number };
  await curve.terminate();
  return out;
}
