// End-to-end test of the Sync screen: headless Chromium against `wails dev`
// with the real Go services, the real keyring (a private gnome-keyring) and
// the sandbox as Stripe. scripts/e2e-sync.sh starts it.
//
// Environment: E2E_URL, E2E_OUT (screenshots), E2E_KEY (the sandbox key to
// add), CHROMIUM.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const URL = process.env.E2E_URL ?? 'http://localhost:34127';
const OUT = process.env.E2E_OUT ?? 'build/out/screens';
const KEY = process.env.E2E_KEY ?? 'sk_test_E2eSandboxSyncKey20261123';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

mkdirSync(OUT, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'billfold-e2e-sync-'));
const started = Date.now();
let step = 'launch';
const failures = [];
const timings = {};
const pageErrorsSeen = [];
function check(cond, what) {
  if (!cond) failures.push(`${step}: ${what}`);
}

const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
  timeout: 60_000,
});

try {
  context.setDefaultTimeout(20_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  page.on('pageerror', (e) => {
    pageErrors.push(String(e));
    pageErrorsSeen.push(String(e));
  });
  const stateValue = page.getByTestId('sync-state-value');

  step = 'add sandbox account';
  await page.goto(`${URL}/#/accounts`, { waitUntil: 'load', timeout: 60_000 });
  await page.getByTestId('empty-accounts').waitFor();
  await page.getByTestId('add-key').fill(KEY);
  await page.getByTestId('add-label').fill('Sandbox (sync e2e)');
  await page.getByTestId('add-submit').click();
  await page.locator('[data-testid="account-card"]').first().waitFor({ timeout: 60_000 });

  step = 'sync screen';
  await page.goto(`${URL}/#/sync`, { waitUntil: 'load' });
  await page.getByTestId('sync-screen').waitFor();
  await page.screenshot({ path: join(OUT, 'sync-before.png') });

  step = 'first sync';
  // the scheduler may already have started one (5 s after opening)
  if (await page.getByTestId('sync-start').isVisible().catch(() => false)) {
    await page.getByTestId('sync-start').click();
  }
  let t0 = Date.now();
  await page.locator('[data-testid="sync-state-value"][data-state="running"]').waitFor({ timeout: 30_000 });
  await page.locator('[data-testid="sync-type-row"][data-type="customers"]').waitFor({ timeout: 30_000 });
  await page.waitForFunction(() => {
    const row = document.querySelector('[data-testid="sync-type-row"][data-type="customers"]');
    return row && /\d/.test(row.querySelector('.num')?.textContent ?? '') && !(row.querySelector('.num')?.textContent ?? '').startsWith('0');
  }, null, { timeout: 60_000 });
  await page.screenshot({ path: join(OUT, 'sync-progress.png') });
  const line = (await page.getByTestId('sync-state').textContent()) ?? '';
  check(line.includes('Syncing'), `status line says Syncing (got ${line.trim()})`);
  await page.locator('[data-testid="sync-state-value"][data-state="done"]').waitFor({ timeout: 300_000 });
  timings.first_s = ((Date.now() - t0) / 1000).toFixed(1);
  await page.getByTestId('sync-summary').waitFor();
  const total = Number(((await page.getByTestId('sync-summary-total').textContent()) ?? '0').replace(/[^0-9]/g, ''));
  check(total > 400, `summary counts the objects written (got ${total})`);
  const fresh = (await page.getByTestId('freshness').textContent()) ?? '';
  check(fresh.includes('Synced'), `status line freshness says Synced (got ${fresh.trim()})`);
  await page.screenshot({ path: join(OUT, 'sync-done.png') });

  step = 'cancel a full resync';
  await page.getByTestId('sync-full').click();
  await page.locator('[data-testid="sync-state-value"][data-state="running"]').waitFor({ timeout: 30_000 });
  await page.locator('[data-testid="sync-type-row"]').first().waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(OUT, 'sync-full-running.png') });
  t0 = Date.now();
  await page.getByTestId('sync-cancel').click();
  await page.locator('[data-testid="sync-state-value"][data-state="cancelled"]').waitFor({ timeout: 10_000 });
  timings.cancel_ms = Date.now() - t0;
  check(timings.cancel_ms < 5_000, `cancelled within seconds (${timings.cancel_ms} ms)`);
  await page.screenshot({ path: join(OUT, 'sync-cancelled.png') });

  step = 'resume';
  await page.getByTestId('sync-start').click();
  await page.locator('[data-testid="sync-state-value"][data-state="done"]').waitFor({ timeout: 300_000 });
  await page.screenshot({ path: join(OUT, 'sync-resumed.png') });
  check(!(await page.getByTestId('sync-error').isVisible().catch(() => false)), 'no error shown');

  step = 'navigation stays usable during a sync';
  await page.getByTestId('sync-full').click();
  await page.locator('[data-nav="accounts"]').click();
  await page.locator('[data-testid="account-card"]').first().waitFor();
  await page.locator('[data-nav="sync"]').click();
  await page.getByTestId('sync-screen').waitFor();
  if (await page.getByTestId('sync-cancel').isVisible().catch(() => false)) await page.getByTestId('sync-cancel').click();
  const ours = pageErrors.filter((e) => !(e.includes('/wails/ipc.js') || e.includes("reading 'nodes'")));
  check(ours.length === 0, `no page errors: ${JSON.stringify(ours)}`);
} catch (e) {
  failures.push(`${step}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  if (pageErrorsSeen.length) failures.push(`page errors: ${JSON.stringify(pageErrorsSeen)}`);
  try {
    await context.pages()[0]?.screenshot({ path: join(OUT, 'sync-failed.png'), fullPage: true });
  } catch {
    // the page is gone
  }
} finally {
  await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}

const secs = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  console.error(`e2e-sync: FAIL (${failures.length}) after ${secs}s`);
  for (const f of failures) console.error(`  - ${f}`);
  process.exit(1);
}
console.log(`e2e-sync: PASS (${secs}s): first sync ${timings.first_s}s, cancel shown after ${timings.cancel_ms} ms; screenshots in ${OUT}`);
