import { chainParams } from '@tessera/core';
import { describe, expect, it } from 'vitest';
import { PARAM_SETS } from '../../circuits/src/config.ts';
import { privacyState, shieldTx, wallet } from '../../circuits/test/helpers.ts';
import { chainParamsFromJson, chainParamsToJson, executeWithProveJob, proveJobSchema } from '../src/job.ts';

describe('proving job JSON', () => {
  it('round-trips the chain parameters: denominations and privacy parameters included', () => {
    const params = chainParams({ tree: { arity: 4, depth: 3 } });
    expect(params.privacy?.regulatorAdmin).toBeDefined();
    expect(params.assets.every((a) => (a.denominations?.length ?? 0) > 0)).toBe(true);
    const json = JSON.parse(JSON.stringify(chainParamsToJson(params)));
    expect(json.assets[0].denominations).toEqual(params.assets[0]!.denominations!.map(String));
    expect(chainParamsFromJson(proveJobSchema.shape.chain.parse(json))).toEqual(params);
    // a chain without privacy and an asset without denominations stay that way
    const plain = {
      ...params,
      privacy: undefined,
      assets: [{ ...params.assets[0]!, denominations: undefined }],
    };
    const back = chainParamsFromJson(JSON.parse(JSON.stringify(chainParamsToJson(plain))));
    expect(back.privacy).toBeUndefined();
    expect(back.assets[0]!.denominations).toBeUndefined();
    expect(back.assets[0]!.maxSupply).toBe(params.assets[0]!.maxSupply);
  });

  it('a job carries the pre-state accumulators and observer key; one without them is refused by name', async () => {
    const C = PARAM_SETS.test;
    const state = await privacyState(C, 2);
    const { job } = executeWithProveJob(state, [shieldTx(state, 1, wallet(9))], {
      height: 1n,
      parentHash: `0x${'00'.repeat(32)}`,
      timestamp: 0n,
      slots: C.slots,
    });
    const parsed = proveJobSchema.parse(JSON.parse(JSON.stringify(job)));
    expect(parsed.preState.notesRoot).toBe(job.preState.notesRoot);
    expect(parsed.preState.observerKey).toEqual({
      epoch: '1',
      key: state.currentObserverKey()!.key.map(String),
    });
    const { notesRoot: _, ...missing } = parsed.preState;
    const r = proveJobSchema.safeParse({ ...parsed, preState: missing });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain('preState.notesRoot');
  });
});
