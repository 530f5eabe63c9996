// The report as a person sees it: the page of a real trace (fib 12, both probe kinds) opened
// in headless Chromium, which must render every section with no error and fetch nothing;
// trace strings shown as text, never run. KPROBE_EMU_SCREENSHOT=1 writes docs/report.png.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/report/index.js';
import { cli, fixture } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`test/report/browser.test.ts skipped: no ${CHROMIUM} (apt-get install chromium)`);

const dir = mkdtempSync(join(tmpdir(), 'kprobe-emu-report-browser-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DEFS = ['-e', 'p:fibcall fib n=$arg1:u32', '-e', 'r:fibret fib $retval:u32'];
/**
 * Times from the guest's clock: instructions, the same every run, so the page (and
 * docs/report.png) is too. The host's clock would time the emulator.
 */
const CLOCK = ['--trace-clock', 'guest'];

/** The report of fib 12 recorded in `format`, with the run's profile. */
function fibReport(format: 'json' | 'chrome'): string {
  const trace = join(dir, `fib12.${format}`);
  const r = cli([
    'run',
    ...CLOCK,
    '--format',
    format,
    '-o',
    trace,
    '--profile',
    ...DEFS,
    fixture('x86_64', 'fib'),
    '12',
  ]);
  expect(r.status, r.stderr).toBe(0);
  const profile = join(dir, `fib12-${format}.profile`);
  writeFileSync(profile, r.stderr);
  const out = join(dir, `fib12-${format}.html`);
  writeReport(trace, out, { profile, title: 'fib 12 on x86_64' });
  return out;
}

/** What went wrong while a page was open: console errors, uncaught exceptions, requests. */
interface Trouble {
  errors: string[];
  requests: string[];
}

async function open(browser: Browser, file: string): Promise<{ page: Page; trouble: Trouble }> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const trouble: Trouble = { errors: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') trouble.errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => trouble.errors.push(`page: ${(e as Error).message}`));
  // The page must need nothing but itself: any other request is refused and noted.
  const url = pathToFileURL(file).href;
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    if (req.url() === url) return void req.continue();
    trouble.requests.push(req.url());
    void req.abort();
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, trouble };
}

/** Width and height of the element `selector` finds (zero when it is missing or hidden). */
async function size(page: Page, selector: string): Promise<{ width: number; height: number }> {
  const box = await (await page.$(selector))?.boundingBox();
  return { width: box?.width ?? 0, height: box?.height ?? 0 };
}

/** The flame graph drawn: its frames have their widths (d3-flame-graph sets them in a transition). */
async function flameDrawn(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const rects = [...document.querySelectorAll('#flame svg rect')];
      return rects.length > 1 && rects.every((r) => r.getBoundingClientRect().width > 0);
    },
    { timeout: 10_000 },
  );
  // Past the label transition.
  await new Promise((r) => setTimeout(r, 500));
}

describe.skipIf(!haveChromium)('the report in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--headless=new'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it.each(['chrome', 'json'] as const)('draws every section of a %s trace of fib 12', async (format) => {
    const file = fibReport(format);
    const { page, trouble } = await open(browser, file);
    await flameDrawn(page);
    for (const id of ['events', 'arguments', 'durations', 'flame-graph', 'timeline']) {
      const s = await size(page, `section#${id}`);
      expect(s.height, id).toBeGreaterThan(50);
    }
    // A histogram for n, one for the return value, one for the durations.
    const hists = await page.$$eval('svg.hist', (svgs) =>
      svgs.map((s) => {
        const r = s.getBoundingClientRect();
        return { width: r.width, height: r.height, bars: s.querySelectorAll('rect.bar').length };
      }),
    );
    expect(hists).toHaveLength(3);
    for (const h of hists) {
      expect(h.width).toBeGreaterThan(100);
      expect(h.height).toBeGreaterThan(20);
      expect(h.bars).toBeGreaterThan(1);
    }
    expect((await size(page, '#flame svg')).width).toBeGreaterThan(600);
    const frames = await page.$$eval('#flame svg g.frame', (gs) =>
      gs.map((g) => ({ name: g.getAttribute('name'), width: g.getBoundingClientRect().width })),
    );
    expect(frames.find((f) => f.name === 'fib')?.width).toBeGreaterThan(600);
    const tl = await size(page, '#timeline-svg');
    expect(tl.width).toBeGreaterThan(600);
    expect(tl.height).toBeGreaterThan(60);
    expect(await page.$$eval('#timeline-svg g.slice rect', (r) => r.length)).toBeGreaterThan(10);
    expect(await page.$$eval('#timeline-svg line.tick', (r) => r.length)).toBeGreaterThan(10);
    const text = await page.evaluate(() => document.body.innerText);
    for (const shown of ['fibcall', 'fibret', 'fib+0x0', 'Flame graph', 'Timeline', '465'])
      expect(text).toContain(shown);

    // By hits, the kprobe hits join the calls; a search finds them.
    await page.click('#flame-graph .seg button[data-mode="hits"]');
    await flameDrawn(page);
    expect(
      await page.$$eval('#flame svg g.frame', (gs) => gs.some((g) => g.getAttribute('name') === 'fibcall')),
    ).toBe(true);
    await page.type('#flame-search', 'fibcall');
    await page.waitForFunction(() =>
      document.getElementById('flame-details')?.textContent?.startsWith('search:'),
    );
    expect(await page.$eval('#flame-details', (d) => d.textContent)).toMatch(/^search: 465 hits of 908 hits/);
    await page.click('#flame-reset');

    if (format === 'chrome') {
      await page.click('#flame-graph .seg button[data-mode="time"]');
      await page.$eval('#flame-search', (i) => ((i as HTMLInputElement).value = ''));
      await flameDrawn(page);
      await page.evaluate(() => window.scrollTo(0, 0));
      const shot =
        process.env.KPROBE_EMU_SCREENSHOT === '1' ? resolve('docs/report.png') : join(dir, 'report.png');
      await page.screenshot({ path: shot as `${string}.png`, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(20_000);
    }
    expect(trouble).toEqual({ errors: [], requests: [] });
    await page.close();
  });

  it('shows strings from the trace as text and runs none of them', async () => {
    const evil = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
    const trace = join(dir, 'evil.jsonl');
    const line = (seq: number, o: object) => JSON.stringify({ seq, group: 'g', task: 1, ...o });
    writeFileSync(
      trace,
      [
        line(1, { type: 'kprobe', event: evil, at: evil, ts: 1, args: { [evil]: evil } }),
        line(2, { type: 'kretprobe', event: `${evil}!`, at: evil, ts: 5, duration: 3, args: {} }),
      ].join('\n'),
    );
    const out = join(dir, 'evil.html');
    writeReport(trace, out, { title: evil });
    const { page, trouble } = await open(browser, out);
    await flameDrawn(page);
    expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.$$eval('img', (i) => i.length)).toBe(0);
    expect(await page.$eval('h1', (h) => h.textContent)).toBe(evil);
    expect(await page.$eval('td.event', (td) => td.textContent)).toBe(evil);
    expect(trouble).toEqual({ errors: [], requests: [] });
    await page.close();
  });
});
