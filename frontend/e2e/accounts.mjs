// End-to-end test of onboarding and accounts: headless Chromium against
// `wails dev` with the real Go services, the real keyring (a private
// gnome-keyring) and the sandbox as Stripe. scripts/e2e-accounts.sh starts it.
//
// Environment: E2E_URL, E2E_OUT (screenshots), E2E_BILLFOLD_HOME, E2E_KEY (the
// restricted test key to add), CHROMIUM.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const URL = process.env.E2E_URL ?? 'http://localhost:34125';
const OUT = process.env.E2E_OUT ?? 'build/out/screens';
const HOME = process.env.E2E_BILLFOLD_HOME ?? '';
const KEY = process.env.E2E_KEY ?? 'rk_test_E2eSandboxReadKey20261123';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

mkdirSync(OUT, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'billfold-e2e-accounts-'));
const started = Date.now();
let step = 'launch';
const failures = [];
const timings = {};
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
  page.on('pageerror', (e) => pageErrors.push(String(e) + ' @ ' + (e.stack ?? '').split('\n').slice(1, 4).join(' | ')));
  const switcher = page.getByTestId('account-switcher');

  step = 'onboarding';
  await page.goto(`${URL}/#/accounts`, { waitUntil: 'load', timeout: 60_000 });
  await page.getByTestId('empty-accounts').waitFor();
  check((await switcher.textContent())?.includes('No account'), 'switcher says No account');
  await page.screenshot({ path: join(OUT, 'accounts-empty.png') });

  step = 'local key check';
  const key = page.getByTestId('add-key');
  await key.fill('pk_test_abc123');
  await key.blur();
  await page.getByTestId('add-key-hint').waitFor();
  check((await page.getByTestId('add-key-hint').textContent())?.includes('publishable'), 'a publishable key is refused locally');
  check(await page.getByTestId('add-submit').isDisabled(), 'submit disabled for a bad key');
  check((await key.getAttribute('type')) === 'password', 'the key input is a password field');
  await page.screenshot({ path: join(OUT, 'accounts-keycheck.png') });
  await key.fill('');

  step = 'demo';
  let t0 = Date.now();
  await page.getByTestId('demo-create').click();
  await page.getByTestId('demo-progress').waitFor({ timeout: 10_000 }).catch(() => {}); // may be brief
  await page.screenshot({ path: join(OUT, 'accounts-demo-building.png') });
  await page.locator('[data-testid="account-card"][data-mode="demo"]').waitFor({ timeout: 300_000 });
  timings.demo_s = ((Date.now() - t0) / 1000).toFixed(1);
  await page.waitForFunction(() => document.querySelector('[data-testid="account-switcher"]')?.textContent?.includes('DEMO'));
  check((await switcher.textContent())?.includes('DEMO'), 'the app switched to the demo (DEMO badge in the switcher)');
  await page.screenshot({ path: join(OUT, 'accounts-demo.png') });

  step = 'add sandbox account';
  await page.getByTestId('add-account-toggle').click();
  await page.getByTestId('add-key').fill(KEY);
  await page.getByTestId('add-label').fill('Sandbox (e2e)');
  t0 = Date.now();
  await page.getByTestId('add-submit').click();
  await page.getByTestId('add-result').waitFor({ timeout: 60_000 }).catch(async () => {
    const err = await page.getByTestId('add-error').textContent().catch(() => '');
    throw new Error(`no result; error: ${err}`);
  });
  timings.add_s = ((Date.now() - t0) / 1000).toFixed(1);
  const result = (await page.getByTestId('add-result').textContent()) ?? '';
  check(result.includes('Billfold Sandbox Co.') && result.includes('acct_1SandboxBillfold') && result.includes('TEST'), `result names the account: ${result}`);
  check(!(await page.content()).includes(KEY), 'the key is not in the page after adding');
  check((await page.getByTestId('add-key').inputValue()) === '', 'the key input is cleared');
  const perms = page.getByTestId('add-result').locator('[data-resource="customers"]');
  check((await perms.getAttribute('data-access')) === 'write', 'the probed permissions show customers: write');
  await page.getByTestId('add-account-toggle').click();
  const card = page.locator('[data-testid="account-card"][data-account="acct_1SandboxBillfold:test"]');
  await card.waitFor();
  check((await card.textContent())?.includes('rk_test_…'), 'the card shows the masked key');
  await page.waitForFunction(() => document.querySelector('[data-testid="account-switcher"]')?.textContent?.includes('TEST'));
  await page.screenshot({ path: join(OUT, 'accounts-two.png'), fullPage: true });

  step = 'switch';
  await switcher.click();
  const menu = page.getByRole('menu');
  await menu.waitFor();
  check((await menu.locator('[role="menuitemradio"]').count()) === 2, 'the switcher lists both accounts');
  await page.screenshot({ path: join(OUT, 'accounts-switcher.png') });
  await menu.getByText('Billfold Demo Co.').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="account-switcher"]')?.textContent?.includes('DEMO'));
  step = 'reload keeps the current account';
  await page.reload({ waitUntil: 'load' });
  await page.getByTestId('account-list').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-testid="account-switcher"]')?.textContent?.includes('DEMO'));
  if (HOME) {
    const s = JSON.parse(readFileSync(join(HOME, 'settings.json'), 'utf8'));
    check(s.current_account === 'acct_1BillfoldDemo:test', `settings.json current account ${s.current_account}`);
  }

  step = 'verify again and rename';
  await card.getByTestId('account-verify').click();
  await card.getByText('Verified with Stripe.').waitFor();
  await card.getByTestId('account-rename').click();
  await card.getByTestId('rename-input').fill('Sandbox renamed');
  await card.getByTestId('rename-save').click();
  await card.getByText('Sandbox renamed').first().waitFor();

  step = 'settings';
  await page.locator('[data-nav="settings"]').click();
  await page.getByTestId('settings-accounts').getByText('Sandbox renamed').waitFor();
  await page.getByTestId('sync-interval').selectOption('60');
  await page.getByTestId('sync-gentle').check();
  await page.getByText('Saved.').waitFor();
  if (HOME) {
    const s = JSON.parse(readFileSync(join(HOME, 'settings.json'), 'utf8'));
    check(s.sync_interval_minutes === 60 && s.gentle === true, `settings.json saved: ${JSON.stringify(s)}`);
  }
  await page.screenshot({ path: join(OUT, 'accounts-settings.png'), fullPage: true });

  step = 'remove, keeping data';
  await page.locator('[data-nav="accounts"]').click();
  await card.getByTestId('account-remove').click();
  await page.getByTestId('remove-dialog').waitFor();
  await page.screenshot({ path: join(OUT, 'accounts-remove-dialog.png') });
  await page.getByTestId('remove-confirm').click();
  await card.waitFor({ state: 'detached' });
  check((await page.locator('[data-testid="account-card"]').count()) === 1, 'one account (the demo) left');
  // Wails v2.16's dev-only reconnect overlay (/wails/ipc.js) throws once per
  // page load in a browser (see shell.mjs): not our code, ignored.
  const ours = pageErrors.filter((e) => !(e.includes('/wails/ipc.js') && e.includes("reading 'nodes'")));
  check(ours.length === 0, `no page errors: ${JSON.stringify(ours)}`);
} catch (e) {
  failures.push(`${step}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  try {
    await context.pages()[0]?.screenshot({ path: join(OUT, 'accounts-failed.png'), fullPage: true });
  } catch {
    // the page is gone
  }
} finally {
  await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}

const secs = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  console.error(`e2e-accounts: FAIL (${failures.length}) after ${secs}s`);
  for (const f of failures) console.error(`  - ${f}`);
  process.exit(1);
}
console.log(`e2e-accounts: PASS (${secs}s): demo built in ${timings.demo_s}s (300 customers), account added in ${timings.add_s}s; screenshots in ${OUT}`);
