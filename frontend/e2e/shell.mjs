// End-to-end test of the application shell: headless Chromium (the system's
// /usr/bin/chromium, driven by playwright-core) against `wails dev`, so every
// call goes through the real Go services. scripts/e2e-browser.sh starts it.
//
// Environment: E2E_URL (default http://localhost:34115), E2E_OUT (screenshot
// folder), E2E_BILLFOLD_HOME (the data folder wails dev was started with),
// CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const URL = process.env.E2E_URL ?? 'http://localhost:34115';
const OUT = process.env.E2E_OUT ?? 'build/out/screens';
const HOME = process.env.E2E_BILLFOLD_HOME ?? '';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const STEP_MS = 15_000;

mkdirSync(OUT, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'billfold-e2e-chromium-'));
const started = Date.now();
let step = 'launch';
const failures = [];

function check(cond, what) {
  if (!cond) failures.push(`${step}: ${what}`);
}

const screens = [
  { id: 'dashboard', heading: 'Dashboard', text: 'Connect a Stripe account or explore the demo workspace to see MRR, churn and cohorts.' },
  { id: 'customers', heading: 'Customers', text: 'Customers appear here after the first sync of a Stripe account.' },
  { id: 'subscriptions', heading: 'Subscriptions', text: 'Subscriptions, trials and cancellations appear here once a Stripe account is synced' },
  { id: 'invoices', heading: 'Invoices', text: 'Invoices, payments and refunds appear here once a Stripe account is synced' },
  { id: 'sync', heading: 'Sync', text: 'Add a Stripe account and Billfold copies its customers, subscriptions and invoices' },
  { id: 'accounts', heading: 'Accounts', text: 'Connect an account with a read-only restricted key, or start with the demo workspace' },
  { id: 'settings', heading: 'Settings', text: 'Your data stays on this computer' },
];

const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1280, height: 820 },
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
  timeout: 60_000,
});

try {
  context.setDefaultTimeout(STEP_MS);
  // Record CSP violations and page errors from the very first script.
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e) + ' @ ' + (e.stack ?? '').split('\n').slice(1, 4).join(' | ')));
  page.on('requestfailed', (r) => pageErrors.push(`request failed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) pageErrors.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });

  step = 'load';
  await page.goto(URL, { waitUntil: 'load', timeout: 60_000 });
  await page.locator('nav[aria-label="Main"]').waitFor();
  for (const s of screens) {
    check(await page.locator(`[data-nav="${s.id}"]`).isVisible(), `sidebar link ${s.id} visible`);
  }

  step = 'bindings';
  // AppService.Info through the real Go side: the status line shows the version.
  const version = page.locator('[data-testid="status-bar"] .version');
  await version.waitFor();
  check(/^v\S+/.test((await version.textContent()) ?? ''), 'status line shows the version from AppService.Info');
  check((await page.getByTestId('sync-state').textContent())?.includes('Sync idle'), 'status line says Sync idle (SyncService.Status)');
  check((await page.getByTestId('freshness').textContent())?.includes('No data synced yet'), 'status line says no data synced yet');
  check((await page.getByTestId('connectivity').textContent())?.includes('Online'), 'status line says Online');
  check((await page.getByTestId('account-switcher').textContent())?.includes('No account'), 'account switcher says No account (AccountsService.List)');

  for (const s of screens) {
    step = `screen ${s.id}`;
    await page.locator(`[data-nav="${s.id}"]`).click();
    await page.getByTestId(`screen-${s.id}`).waitFor();
    check(page.url().endsWith(`#/${s.id}`), `url is #/${s.id}, got ${page.url()}`);
    check((await page.locator('main h1').first().textContent())?.trim() === s.heading, `heading is ${s.heading}`);
    await page.getByText(s.text, { exact: false }).first().waitFor();
    check(await page.locator(`[data-nav="${s.id}"]`).getAttribute('aria-current') === 'page', 'sidebar marks the current screen');
    await page.screenshot({ path: join(OUT, `browser-${s.id}.png`) });
  }

  step = 'settings data';
  await page.locator('[data-nav="settings"]').click();
  const datadir = page.getByTestId('info-datadir');
  await datadir.waitFor();
  if (HOME) {
    check((await datadir.textContent())?.trim() === HOME, `data folder is BILLFOLD_HOME ${HOME}, got ${await datadir.textContent()}`);
  }
  check((await page.getByTestId('info-version').textContent())?.trim() !== '—', 'version shown in Settings');

  step = 'reload keeps the screen';
  await page.reload({ waitUntil: 'load' });
  await page.getByTestId('screen-settings').waitFor();

  step = 'empty state actions';
  await page.locator('[data-nav="dashboard"]').click();
  await page.getByTestId('cta-connect').click();
  await page.getByTestId('screen-accounts').waitFor();
  check(page.url().endsWith('#/accounts'), 'Connect Stripe account opens Accounts');
  await page.locator('[data-nav="dashboard"]').click();
  await page.getByTestId('cta-demo').click();
  await page.getByTestId('screen-accounts').waitFor();
  await page.getByText('billfold demo').first().waitFor();

  step = 'search shortcut';
  await page.locator('[data-nav="dashboard"]').click();
  await page.locator('main').click({ position: { x: 5, y: 5 } });
  const search = page.getByTestId('global-search');
  check(!(await search.evaluate((el) => el === document.activeElement)), 'search not focused before the shortcut');
  await page.keyboard.press('Control+k');
  check(await search.evaluate((el) => el === document.activeElement), 'Ctrl+K focuses the search box');
  await page.keyboard.type('acme');
  await page.getByTestId('search-panel').waitFor();
  check((await page.getByTestId('search-panel').textContent())?.includes('Nothing to search yet'), 'search explains there is nothing to search');
  await page.screenshot({ path: join(OUT, 'browser-search.png') });
  await page.keyboard.press('Escape');
  check(!(await search.evaluate((el) => el === document.activeElement)), 'Esc blurs the search box');
  await page.keyboard.press('Meta+k');
  check(await search.evaluate((el) => el === document.activeElement), 'Cmd+K focuses the search box');
  await page.keyboard.press('Escape');

  step = 'account switcher';
  await page.getByTestId('account-switcher').click();
  await page.getByRole('menu').waitFor();
  check((await page.getByRole('menu').textContent())?.includes('No account connected yet.'), 'switcher lists no accounts');
  await page.screenshot({ path: join(OUT, 'browser-switcher.png') });
  await page.getByText('Connect or manage accounts').click();
  await page.getByTestId('screen-accounts').waitFor();

  step = 'offline';
  await context.setOffline(true);
  await page.getByText('Offline: showing local data').waitFor();
  await context.setOffline(false);
  await page.getByTestId('connectivity').getByText('Online').waitFor();

  step = 'dark theme';
  await page.locator('[data-nav="dashboard"]').click();
  const lightBg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await page.emulateMedia({ colorScheme: 'dark' });
  const darkBg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  check(lightBg !== darkBg, `dark theme changes the background (${lightBg} vs ${darkBg})`);
  await page.waitForTimeout(500); // let the 0.12 s colour transitions finish before the picture
  await page.screenshot({ path: join(OUT, 'browser-dashboard-dark.png') });
  await page.locator('[data-nav="accounts"]').click();
  await page.mouse.move(1200, 700);
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(OUT, 'browser-accounts-dark.png') });
  await page.emulateMedia({ colorScheme: 'light' });

  step = 'security';
  const csp = await page.evaluate(() => window.__csp);
  check(csp.length === 0, `no CSP violations, got ${JSON.stringify(csp)}`);
  const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  check(meta?.includes("script-src 'self'") && meta.includes("object-src 'none'") && meta.includes("frame-src 'none'"), 'strict CSP present');
  const remote = await page.evaluate(() =>
    performance.getEntriesByType('resource').map((r) => r.name).filter((n) => !n.startsWith(location.origin) && !/^wss?:\/\/(localhost|127\.0\.0\.1)/.test(n)),
  );
  check(remote.length === 0, `no remote content loaded, got ${JSON.stringify(remote)}`);
  // Wails v2.16's dev-only reconnect overlay (/wails/ipc.js, served by wails
  // dev to browsers, never part of the app) mounts a Svelte 5 component with
  // `new`, which throws once per page load. It is not our code: ignore it.
  const ours = pageErrors.filter((e) => !(e.includes('/wails/ipc.js') && e.includes("reading 'nodes'")));
  check(ours.length === 0, `no page errors, got ${JSON.stringify(ours)}`);
} catch (e) {
  failures.push(`${step}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  try {
    await context.pages()[0]?.screenshot({ path: join(OUT, 'browser-failed.png') });
  } catch {
    // the page is gone
  }
} finally {
  await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}

const secs = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  console.error(`e2e-browser: FAIL (${failures.length}) after ${secs}s`);
  for (const f of failures) console.error(`  - ${f}`);
  process.exit(1);
}
console.log(`e2e-browser: PASS: ${screens.length} screens, search shortcut, switcher, offline, dark theme, CSP (${secs}s); screenshots in ${OUT}`);
