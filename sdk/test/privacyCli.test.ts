import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devnetPrivacySecrets, generateStealthKeys } from '@tessera/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError, runCli } from '../src/cli.ts';
import { REPORT_CSV_COLUMNS } from '../src/regulator/index.ts';
import { parseCsv } from './support/csv.ts';
import { FakeChain } from './support/fakeChain.ts';
import { ETH, ethKey, user } from './support/users.ts';

const PASSWORD = 'regulator password';
let chain: FakeChain;
let dir: string;
let alice: Awaited<ReturnType<typeof user>>;
let bob: Awaited<ReturnType<typeof user>>;

async function cli(args: string[], env: Record<string, string> = {}, answers: string[] = []) {
  const lines: string[] = [];
  const prompts: string[] = [];
  const code = await runCli(args, (l) => lines.push(l), {
    client: () => chain.client(),
    env,
    readSecret: async (q) => {
      prompts.push(q);
      const a = answers.shift();
      if (a === undefined) throw new Error(`unexpected prompt ${q}`);
      return a;
    },
  });
  return { code, out: lines.join('\n'), prompts };
}
const as = (name: string) => ({ TESSERA_PRIVATE_KEY: ethKey(name) });
const regulatorEnv = { TESSERA_OBSERVER_KEYSTORE_PASSWORD: PASSWORD };
const rpc = ['--rpc', 'http://fake'];

beforeAll(async () => {
  chain = new FakeChain();
  dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
  alice = await user(chain, 'alice');
  bob = await user(chain, 'bob');
  const carol = await user(chain, 'carol');
  for (let i = 0; i < 8; i++) await carol.privacy.shield(carol.account, ETH, generateStealthKeys().address);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cli: private notes', () => {
  it('address, shield, balance, private-transfer, unshield', async () => {
    const addr = await cli(['private', 'address'], as('alice'));
    expect(addr.out).toBe(alice.privacy.address());

    const sh = await cli(
      ['shield', ...rpc, '--from', String(alice.account), '--amount', '1eth', '--memo', 'savings'],
      as('alice'),
    );
    expect(sh.out).toMatch(
      /^shielded 1000000000000000000 of asset 1 into note 8 for this wallet: tx 0x[0-9a-f]{64} in block \d+$/,
    );
    expect((await cli(['private', 'balance', ...rpc], as('alice'))).out).toBe(
      'asset 1: 1000000000000000000 in 1 note (1 × 1000000000000000000)',
    );

    const pt = await cli(
      [
        'private-transfer',
        ...rpc,
        '--asset',
        '1',
        '--amount',
        '1eth',
        '--to',
        bob.privacy.address(),
        '--memo',
        'for you',
      ],
      as('alice'),
    );
    expect(pt.out).toMatch(/^paid 1000000000000000000 of asset 1 privately \(ring of 9, new note 9\)/);
    expect((await cli(['private', 'balance', ...rpc], as('alice'))).out).toBe('no private notes');

    const before = chain.state.account(bob.account)!.balance;
    const un = await cli(
      ['unshield', ...rpc, '--asset', '1', '--amount', '1eth', '--to', String(bob.account)],
      as('bob'),
    );
    expect(un.out).toMatch(
      new RegExp(`^unshielded 1000000000000000000 of asset 1 to account ${bob.account}`),
    );
    expect(chain.state.account(bob.account)!.balance).toBe(before + ETH);
  });

  it('refuses bad usage clearly', async () => {
    await expect(cli(['private', 'nonsense'], as('alice'))).rejects.toThrow(CliError);
    await expect(
      cli(['private-transfer', ...rpc, '--asset', '1', '--amount', '1eth'], as('alice')),
    ).rejects.toThrow(/--to is required/);
    await expect(cli(['transfer', 'extra', ...rpc], as('alice'))).rejects.toThrow(
      /unexpected argument extra/,
    );
    await expect(cli(['shield', ...rpc, '--from', '1', '--amount', '1eth'], {})).rejects.toThrow(
      /TESSERA_PRIVATE_KEY/,
    );
  });
});

describe('cli: regulator', () => {
  const ks = () => join(dir, 'observer.json');
  const secret = devnetPrivacySecrets().observerSecret;

  it('keystore create encrypts the observer secret (checked against the chain)', async () => {
    const wrong = await cli(
      [
        'regulator',
        'keystore',
        'create',
        '--out',
        join(dir, 'wrong.json'),
        '--epoch',
        '1',
        '--scrypt-n',
        '1024',
        ...rpc,
      ],
      { ...regulatorEnv, TESSERA_OBSERVER_SECRET: '12345' },
    ).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(CliError);
    expect(existsSync(join(dir, 'wrong.json'))).toBe(false);

    // Secret from the environment, password typed twice at the prompt.
    const r = await cli(
      ['regulator', 'keystore', 'create', '--out', ks(), '--epoch', '1', '--scrypt-n', '1024', ...rpc],
      { TESSERA_OBSERVER_SECRET: `0x${secret.toString(16)}` },
      [PASSWORD, PASSWORD],
    );
    expect(r.prompts).toEqual(['observer keystore password: ', 'repeat the password: ']);
    expect(r.out).toMatch(/^wrote observer keyring .*observer\.json: epoch 1, key 0x[0-9a-f]{64}$/);
    expect(statSync(ks()).mode & 0o777).toBe(0o600);
    expect(readFileSync(ks(), 'utf8')).not.toContain(secret.toString(16));
  });

  it('open, trace and report with the keystore; a wrong password opens nothing', async () => {
    const ptHash = [...chain.txs.entries()].find(([, c]) => c.tx.type === 6)![0];
    const open = await cli(['regulator', 'open', ptHash, ...rpc, '--keystore', ks()], regulatorEnv);
    expect(open.out).toContain(`private_transfer ${ptHash}`);
    expect(open.out).toContain(`account ${alice.account}`);
    expect(open.out).toContain(`${bob.privacy.address()} [verified against the output]`);
    expect(open.out).toContain('memo:       "for you"');
    const asJson = JSON.parse(
      (await cli(['regulator', 'open', ptHash, ...rpc, '--keystore', ks(), '--json'], regulatorEnv)).out,
    );
    expect(asJson).toMatchObject({
      type: 'private_transfer',
      amount: ETH.toString(),
      memo: { text: 'for you' },
    });

    const trace = await cli(['regulator', 'trace', '9', ...rpc, '--keystore', ks()], regulatorEnv);
    expect(trace.out.split('\n')).toHaveLength(4);
    expect(trace.out).toMatch(
      new RegExp(`origin: account ${alice.account} \\(0x[0-9a-f]{40}\\) shielded in`),
    );

    const out = join(dir, 'report.csv');
    const rep = await cli(
      [
        'regulator',
        'report',
        ...rpc,
        '--keystore',
        ks(),
        '--from',
        '1',
        '--to',
        String(chain.head),
        '--format',
        'csv',
        '--out',
        out,
      ],
      regulatorEnv,
    );
    expect(rep.out).toMatch(/^wrote 11 privacy transactions of blocks 1\.\.\d+ to /);
    const rows = parseCsv(readFileSync(out, 'utf8'));
    expect(rows[0]).toEqual([...REPORT_CSV_COLUMNS]);
    expect(rows.slice(1).map((r) => r[3])).toEqual([
      ...Array(9).fill('shield'),
      'private_transfer',
      'unshield',
    ]);
    await expect(
      cli(
        [
          'regulator',
          'report',
          ...rpc,
          '--keystore',
          ks(),
          '--from',
          '1',
          '--to',
          '2',
          '--format',
          'csv',
          '--out',
          out,
        ],
        regulatorEnv,
      ),
    ).rejects.toThrow(/refusing to overwrite/);
    await expect(
      cli(
        ['regulator', 'report', ...rpc, '--keystore', ks(), '--from', '1', '--to', '2', '--format', 'xml'],
        regulatorEnv,
      ),
    ).rejects.toThrow(/json or csv/);
    const json = JSON.parse(
      (
        await cli(
          [
            'regulator',
            'report',
            ...rpc,
            '--keystore',
            ks(),
            '--from',
            '1',
            '--to',
            String(chain.head),
            '--format',
            'json',
          ],
          regulatorEnv,
        )
      ).out,
    );
    expect(json.transactions).toHaveLength(11);

    await expect(
      cli(['regulator', 'open', ptHash, ...rpc, '--keystore', ks()], {
        TESSERA_OBSERVER_KEYSTORE_PASSWORD: 'not the password',
      }),
    ).rejects.toThrow(/wrong password or corrupted keystore/);
  });

  it('keystore add puts a rotated epoch into the same file', async () => {
    const epoch2 = 777n;
    const r = await cli(
      ['regulator', 'keystore', 'add', '--keystore', ks(), '--epoch', '2', '--scrypt-n', '1024', ...rpc],
      {
        ...regulatorEnv,
        TESSERA_OBSERVER_SECRET: epoch2.toString(),
      },
    );
    expect(r.out).toContain('note: the chain has no observer key for epoch 2 yet');
    expect(r.out).toContain('epochs 1, 2');
    await expect(
      cli(['regulator', 'keystore', 'add', '--keystore', ks(), '--epoch', '2'], {
        ...regulatorEnv,
        TESSERA_OBSERVER_SECRET: '5',
      }),
    ).rejects.toThrow(/already holds epoch 2/);
  });
});

describe('cli: observer key rotation', () => {
  it('only the regulator admin rotates; the new secret is in the keyring before the key is on chain', async () => {
    const { encryptKeystore, writeKeystoreFile, decryptObserverKeyring, readObserverKeyringFile } =
      await import('@tessera/core/storage/keystore');
    const { observerKeyFromSecret } = await import('@tessera/core');
    const secrets = devnetPrivacySecrets();
    const file = join(dir, 'rotate-keyring.json');
    await cli(
      ['regulator', 'keystore', 'create', '--out', file, '--epoch', '1', '--scrypt-n', '1024', ...rpc],
      { ...regulatorEnv, TESSERA_OBSERVER_SECRET: secrets.observerSecret.toString() },
    );
    const adminFile = join(dir, 'admin.json');
    const imposterFile = join(dir, 'imposter.json');
    const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}` as const;
    writeKeystoreFile(
      adminFile,
      await encryptKeystore(hex(secrets.regulatorAdminKey), 'admin pw', { n: 1024 }),
    );
    writeKeystoreFile(imposterFile, await encryptKeystore(ethKey('mallory'), 'admin pw', { n: 1024 }));
    const env = { ...regulatorEnv, TESSERA_REGULATOR_ADMIN_KEYSTORE_PASSWORD: 'admin pw' };
    const before = (await chain.client().call<{ observerKeys: unknown[] }>('tessera_getPrivacyParams'))
      .observerKeys;

    await expect(
      cli(
        [
          'regulator',
          'rotate',
          ...rpc,
          '--keystore',
          file,
          '--admin-keystore',
          imposterFile,
          '--scrypt-n',
          '1024',
        ],
        env,
      ),
    ).rejects.toThrow(/NOT_REGULATOR_ADMIN/);
    const after = (await chain.client().call<{ observerKeys: unknown[] }>('tessera_getPrivacyParams'))
      .observerKeys;
    expect(after).toEqual(before);

    const ok = await cli(
      [
        'regulator',
        'rotate',
        ...rpc,
        '--keystore',
        file,
        '--admin-keystore',
        adminFile,
        '--scrypt-n',
        '1024',
      ],
      env,
    );
    expect(ok.out).toMatch(/^observer key epoch 2 registered \(tx 0x[0-9a-f]{64}\)/);
    const entries = await decryptObserverKeyring(readObserverKeyringFile(file), PASSWORD);
    expect(entries.map((e) => e.epoch)).toEqual([1n, 2n]);
    const onChain = await chain
      .client()
      .call<{ epoch: string; key: [string, string] }>('tessera_getObserverKey');
    expect(onChain.epoch).toBe('2');
    const key2 = observerKeyFromSecret(entries[1]!.secret, 2n).publicKey.key;
    expect(onChain.key).toEqual([key2[0].toString(), key2[1].toString()]);
  });
});
