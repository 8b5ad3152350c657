import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';

/**
 * The explorer's browser acceptance steps in real headless Chromium, reusable against any
 * running explorer: the module test (sequencer double) and the devnet end-to-end test both
 * call this. Throws a descriptive Error at the first failed expectation.
 */
export type BrowserCheckOptions = {
  /** Base URL of a running explorer with at least one indexed block containing a transaction. */
  url: string;
  /** Screenshots land here (created if missing). */
  screenshotsDir: string;
  /** Make the chain produce one new block (devnet: submit a transaction). */
  produceBlock: () => Promise<void>;
  /** Also wait until the batch of the new block shows "Verified on L1" without reloading. */
  expectVerifiedBatch?: { timeoutMs: number };
  executablePath?: string;
  /** Per-step timeout. */
  timeoutMs?: number;
  log?: (msg: string) => void;
};

export type BrowserCheckReport = {
  screenshots: string[];
  steps: string[];
  block: string;
  txHash: string;
  account: string;
  address: string;
  liveBlock: string;
  batch?: { height: string; initialStatus: string; finalStatus: string };
};

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/*
 * Page-side code goes through `globalThis` (this module is type-checked without the DOM
 * library) and as functions, not strings: the explorer's CSP forbids eval.
 */
const MARK_DOCUMENT = () => {
  (globalThis as any).__sameDocument = true;
};
const SAME_DOCUMENT = () => (globalThis as any).__sameDocument === true;

class CheckFailed extends Error {
  override readonly name = 'BrowserCheckFailed';
}

function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new CheckFailed(message);
}

export async function runExplorerBrowserChecks(options: BrowserCheckOptions): Promise<BrowserCheckReport> {
  const timeout = options.timeoutMs ?? 15_000;
  const base = options.url.replace(/\/+$/, '');
  const say = options.log ?? (() => {});
  mkdirSync(options.screenshotsDir, { recursive: true });
  const report: BrowserCheckReport = {
    screenshots: [],
    steps: [],
    block: '',
    txHash: '',
    account: '',
    address: '',
    liveBlock: '',
  };
  const step = (s: string) => {
    report.steps.push(s);
    say(s);
  };
  const browser: Browser = await chromium.launch({
    executablePath: options.executablePath ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(timeout);
    const page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      d.dismiss().catch(() => {});
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const shot = async (p: Page, name: string) => {
      const file = join(options.screenshotsDir, `${name}.png`);
      await p.screenshot({ path: file, fullPage: true });
      report.screenshots.push(file);
    };
    const open = async (path: string, expectStatus = 200) => {
      const res = await page.goto(`${base}${path}`, { waitUntil: 'domcontentloaded' });
      check(res, `no response for ${path}`);
      check(res.status() === expectStatus, `${path}: expected HTTP ${expectStatus}, got ${res.status()}`);
      return res;
    };
    const h1 = async () => (await page.locator('h1').first().textContent())?.trim() ?? '';
    const waitLive = () => page.waitForSelector('html[data-live="on"]', { timeout });

    // 1. Home: latest blocks, transactions, cluster health.
    await open('/');
    await waitLive();
    await page.waitForSelector('#latest-blocks tbody tr');
    check((await page.locator('#latest-txs tbody tr').count()) > 0, 'home page lists no transactions');
    check((await page.locator('ul.nodes li.node').count()) > 0, 'home page shows no cluster nodes');
    await shot(page, 'home');
    step('home: latest blocks, transactions and cluster health visible');

    // 2. Follow the newest block that has transactions.
    const blockRow = page
      .locator('#latest-blocks tbody tr')
      .filter({ has: page.locator('td.num', { hasNotText: /^0$/ }) })
      .first();
    report.block = (await blockRow.getAttribute('data-height')) ?? '';
    await blockRow.locator('td').first().locator('a').click();
    await page.waitForURL(/\/block\//);
    check((await h1()) === `Block ${report.block}`, `block page heading is "${await h1()}"`);
    await shot(page, 'block');
    step(`block ${report.block} opened from home`);

    // 3. Follow its first transaction.
    await page.locator('#block-txs tbody tr a[href^="/tx/"]').first().click();
    await page.waitForURL(/\/tx\/0x[0-9a-f]{64}$/);
    report.txHash = page.url().split('/tx/')[1]!;
    check((await h1()) === 'Transaction', 'transaction page has no heading');
    check(
      (await page.locator('ol.steps li.done').count()) >= 2,
      'transaction status is not at least "committed on L2"',
    );
    await shot(page, 'transaction');
    step(`transaction ${report.txHash} opened from its block`);

    // 4. Follow an account.
    await page.locator('main a[href^="/account/"]').first().click();
    await page.waitForURL(/\/account\/\d+$/);
    report.account = page.url().split('/account/')[1]!;
    check((await h1()) === `Account #${report.account}`, 'account page heading wrong');
    check((await page.locator('#history tbody tr').count()) > 0, 'account history is empty');
    const addressLink = page.locator('main a[href^="/address/0x"]').first();
    report.address = ((await addressLink.getAttribute('href')) ?? '').split('/address/')[1] ?? '';
    check(/^0x[0-9a-f]{40}$/.test(report.address), 'account page shows no Ethereum address');
    await shot(page, 'account');
    step(`account #${report.account} opened from the transaction`);

    // 5. Search by hash and by address from the header search box.
    const search = async (q: string) => {
      await page.fill('form.search input[name=q]', q);
      await Promise.all([
        page.waitForLoadState('domcontentloaded'),
        page.press('form.search input[name=q]', 'Enter'),
      ]);
    };
    await search(report.txHash);
    await page.waitForURL(`${base}/tx/${report.txHash}`);
    step('search by transaction hash lands on the transaction');
    await search(report.address.toUpperCase().replace('0X', '0x'));
    await page.waitForURL(`${base}/address/${report.address}`);
    check((await page.locator('#address-accounts tbody tr').count()) > 0, 'address page lists no accounts');
    await shot(page, 'address');
    step('search by Ethereum address lands on the address page');

    // 6. A new block appears on the home page without a reload.
    await open('/');
    await waitLive();
    const topHeight = async () =>
      BigInt((await page.locator('#latest-blocks tbody tr').first().getAttribute('data-height')) ?? '-1');
    const before = await topHeight();
    await page.evaluate(MARK_DOCUMENT);
    await options.produceBlock();
    await page.waitForFunction((h: string) => {
      const row = (globalThis as any).document.querySelector('#latest-blocks tbody tr');
      return row !== null && BigInt(row.getAttribute('data-height') ?? '-1') > BigInt(h);
    }, before.toString());
    check(await page.evaluate(SAME_DOCUMENT), 'the page reloaded instead of updating live');
    report.liveBlock = (await topHeight()).toString();
    await shot(page, 'home-live-block');
    step(`block ${report.liveBlock} appeared live (was ${before})`);

    // 7. Error pages: unknown hash, malformed search, out-of-range page.
    await open(`/tx/0x${'0'.repeat(63)}1`, 404);
    check((await h1()) === 'Not found', 'unknown hash page heading wrong');
    check(
      (await page.textContent('main'))?.includes('No transaction with hash'),
      'unknown hash page does not explain',
    );
    await shot(page, 'error-unknown-hash');
    await open(`/search?q=${encodeURIComponent('<img src=x onerror=alert(1)>')}`, 400);
    check((await h1()) === 'Search not understood', 'malformed search page heading wrong');
    check(
      (await page.textContent('main'))?.includes('<img src=x onerror=alert(1)>'),
      'malformed query not echoed as text',
    );
    check((await page.locator('main img').count()) === 0, 'malformed query was rendered as markup');
    await shot(page, 'error-malformed-search');
    await open('/blocks?cursor=99999999999999999999', 404);
    check((await h1()) === 'Page out of range', 'out-of-range page heading wrong');
    await shot(page, 'error-page-out-of-range');
    step('unknown hash, malformed search and out-of-range page show friendly errors');

    // 8. Optional: the new block's batch turns verified on L1 while the page is open.
    if (options.expectVerifiedBatch) {
      const height = report.liveBlock;
      await open(`/batch/${height}`);
      await waitLive();
      const box = page.locator('[data-refresh]');
      const initialStatus = (await box.getAttribute('data-state')) ?? '';
      await page.evaluate(MARK_DOCUMENT);
      await page.waitForSelector('[data-refresh][data-state="verified"]', {
        timeout: options.expectVerifiedBatch.timeoutMs,
      });
      check(
        (await page.locator('[data-live="status"]').first().textContent())?.includes('Verified on L1'),
        'batch badge does not say verified',
      );
      check(await page.evaluate(SAME_DOCUMENT), 'batch page reloaded');
      report.batch = { height, initialStatus, finalStatus: 'verified' };
      await shot(page, 'batch-verified');
      step(`batch ${height} moved from "${initialStatus}" to "verified" live`);
    }

    // 9. Phone-sized viewport: no horizontal scrolling of the page itself.
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const p2 = await phone.newPage();
    for (const path of ['/', `/tx/${report.txHash}`, `/account/${report.account}`]) {
      await p2.goto(`${base}${path}`, { waitUntil: 'domcontentloaded' });
      const overflow = await p2.evaluate(() => {
        const g = globalThis as any;
        return g.document.documentElement.scrollWidth - g.innerWidth;
      });
      check(overflow <= 1, `${path} is ${overflow}px wider than a phone screen`);
    }
    await p2.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
    await shot(p2, 'home-phone');
    await phone.close();
    step('home, transaction and account pages fit a phone screen');

    check(dialogs.length === 0, `a page opened dialogs: ${dialogs.join(', ')}`);
    check(pageErrors.length === 0, `script errors on the pages: ${pageErrors.join('; ')}`);
    return report;
  } finally {
    await browser.close();
  }
}
