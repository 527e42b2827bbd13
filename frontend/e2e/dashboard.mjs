// End-to-end test of the Dashboard: headless Chromium against `wails dev`
// with the real Go services on a 300-customer demo workspace.
// scripts/e2e-dashboard.sh starts it.
//
// Environment: E2E_URL, E2E_OUT (screenshots), CHROMIUM.
import { chromium } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const URL = process.env.E2E_URL ?? 'http://localhost:34135';
const OUT = process.env.E2E_OUT ?? 'build/out/screens';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

mkdirSync(OUT, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'billfold-e2e-dashboard-'));
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

const charts = ['chart-mrr', 'chart-movements', 'chart-subscribers', 'chart-cash'];

/** Texts of the KPI tiles (value and change), by key. */
async function kpis(page) {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('[data-testid^="kpi-"]')]
        .filter((e) => e.getAttribute('data-testid') !== 'kpi-value')
        .map((e) => [e.getAttribute('data-testid'), e.textContent?.replace(/\s+/g, ' ').trim() ?? '']),
    ),
  );
}

/** Number of pixels of a chart's canvas that are not the background. */
async function drawn(page, testid) {
  return page.evaluate((id) => {
    const c = document.querySelector(`[data-testid="${id}"] canvas`);
    if (!c) return -1;
    const ctx = c.getContext('2d');
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  }, testid);
}

async function loaded(page) {
  await page.waitForFunction(() => {
    const m = document.querySelector('[data-testid="dashboard-meta"]');
    return m && !m.textContent.includes('Loading') && document.querySelector('[data-testid="load-ms"]');
  }, null, { timeout: 120_000 });
}

try {
  context.setDefaultTimeout(30_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e) + ' @ ' + (e.stack ?? '').split('\n').slice(1, 4).join(' | ')));

  step = 'open';
  let t0 = Date.now();
  await page.goto(`${URL}/#/dashboard`, { waitUntil: 'load', timeout: 60_000 });
  await page.getByTestId('kpi-mrr').waitFor({ timeout: 120_000 });
  await loaded(page);
  timings.first_ms = Date.now() - t0;
  timings.ui_ms = Number(await page.getByTestId('load-ms').textContent());

  step = '12 months';
  const before = await kpis(page);
  for (const k of ['kpi-mrr', 'kpi-arr', 'kpi-subscribers', 'kpi-arpu', 'kpi-customer_churn', 'kpi-net_mrr_churn', 'kpi-nrr', 'kpi-ltv']) {
    check(k in before, `${k} tile is shown`);
  }
  for (const k of ['kpi-mrr', 'kpi-arr', 'kpi-subscribers', 'kpi-arpu']) {
    check(/\d/.test(before[k] ?? '') && !/^[$€£¥]?0(\.00)?$/.test(before[k]), `${k} shows a non-zero number (${before[k]})`);
  }
  for (const c of charts) check((await drawn(page, c)) > 2000, `${c} has drawn pixels`);
  check((await page.locator('[data-testid="cohorts"] td.cell').count()) > 10, 'the cohort heatmap has cells');
  check((await page.locator('[data-testid="by-plan"] li').count()) > 1, 'MRR by plan lists plans');
  await page.screenshot({ path: join(OUT, 'dashboard-12-months.png') });
  for (const c of ['chart-movements', 'chart-subscribers', 'cohorts', 'by-plan']) {
    const card = page.getByTestId(c).locator('xpath=ancestor::section[1]');
    await card.scrollIntoViewIfNeeded();
    await card.screenshot({ path: join(OUT, `dashboard-${c}.png`) });
  }

  step = 'hover';
  await page.getByTestId('chart-mrr').scrollIntoViewIfNeeded();
  const box = await page.getByTestId('chart-mrr').locator('.u-over').boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
  const legend = await page.getByTestId('chart-mrr').locator('.u-legend').textContent();
  check(/\d/.test(legend ?? ''), `the legend shows the hovered value (${legend})`);
  await page.screenshot({ path: join(OUT, 'dashboard-hover.png') });

  step = 'customers behind';
  const mv = page.getByTestId('chart-movements');
  await mv.scrollIntoViewIfNeeded();
  const mb = await mv.locator('.u-over').boundingBox();
  await page.mouse.click(mb.x + mb.width * 0.8, mb.y + mb.height / 2);
  await page.getByTestId('behind').waitFor();
  await page.waitForFunction(() => {
    const l = document.querySelectorAll('[data-testid="behind"] li');
    return l.length > 0 && !l[0].textContent.includes('Loading');
  });
  check((await page.locator('[data-testid="behind"] li:not(.none)').count()) > 0, 'a month lists the new customers behind it');
  await page.getByTestId('behind').locator('xpath=ancestor::section[1]').screenshot({ path: join(OUT, 'dashboard-behind.png') });

  step = 'this month';
  t0 = Date.now();
  await page.getByTestId('range-this_month').click();
  await page.waitForFunction((prev) => {
    const v = document.querySelector('[data-testid="kpi-mrr"]')?.textContent?.replace(/\s+/g, ' ').trim();
    return v && v !== prev;
  }, before['kpi-mrr'], { timeout: 60_000 }).catch(() => {});
  await loaded(page);
  timings.range_ms = Date.now() - t0;
  const after = await kpis(page);
  check(JSON.stringify(after) !== JSON.stringify(before), `numbers change with the range (${JSON.stringify(before)} -> ${JSON.stringify(after)})`);
  await page.screenshot({ path: join(OUT, 'dashboard-this-month.png') });

  step = 'all time';
  await page.getByTestId('range-all_time').click();
  await page.waitForTimeout(300);
  await loaded(page);
  for (const c of charts) check((await drawn(page, c)) > 2000, `${c} has drawn pixels`);
  await page.screenshot({ path: join(OUT, 'dashboard-all-time.png') });
  const card = page.getByTestId('chart-movements').locator('xpath=ancestor::section[1]');
  await card.scrollIntoViewIfNeeded();
  await card.screenshot({ path: join(OUT, 'dashboard-all-time-movements.png') });

  step = 'custom';
  await page.getByTestId('range-custom').click();
  await page.getByTestId('custom-from').fill('2030-01-01');
  await page.getByTestId('custom-to').fill('2029-01-01');
  await page.getByTestId('custom-apply').click();
  check(await page.getByRole('alert').first().isVisible(), 'a reversed range is refused with a message');

  step = 'page errors';
  const ours = pageErrors.filter((e) => !(e.includes('/wails/ipc.js') && e.includes("reading 'nodes'")));
  check(ours.length === 0, `no page errors: ${JSON.stringify(ours)}`);
} catch (e) {
  failures.push(`${step}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  try {
    await context.pages()[0]?.screenshot({ path: join(OUT, 'dashboard-failed.png'), fullPage: true });
  } catch {
    // the page is gone
  }
} finally {
  await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}

const secs = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  console.error(`e2e-dashboard: FAIL (${failures.length}) after ${secs}s`);
  for (const f of failures) console.error(`  - ${f}`);
  process.exit(1);
}
console.log(
  `e2e-dashboard: PASS (${secs}s): first dashboard ${timings.first_ms} ms after page load (the UI measured ${timings.ui_ms} ms for the call), range change ${timings.range_ms} ms; screenshots in ${OUT}`,
);
