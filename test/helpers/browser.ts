// Headless Chrome for the demo tests: Debian's /usr/bin/chromium driven by playwright-core (never a
// downloaded browser), WebGPU on SwiftShader, a fresh profile per launch, and the demo server on
// 127.0.0.1. Screenshots go to test-output/.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startDemoServer, type DemoServer } from '../../demos/server';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = resolve('test-output', 'demos');

export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface DemoBrowser {
  server: DemoServer;
  context: BrowserContext;
  /** Opens a demo page (path and query relative to the server root) and waits for its script to start. */
  open(path: string): Promise<Page>;
  /** Waits until the page's phase is one of `phases` (an 'error' or 'no-webgpu' phase fails at once). */
  waitForPhase(page: Page, phases: string[], timeoutMs?: number): Promise<void>;
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export function browserAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export async function launchDemoBrowser(): Promise<DemoBrowser> {
  const server = await startDemoServer({ port: 0 });
  const profile = mkdtempSync(join(tmpdir(), 'kiln-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 1000 },
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  const errors = new Map<Page, string[]>();
  return {
    server,
    context,
    async open(path) {
      const page = await context.newPage();
      const log: string[] = [];
      errors.set(page, log);
      page.on('pageerror', (e) => log.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') log.push(m.text());
      });
      await page.goto(server.url + path);
      return page;
    },
    async waitForPhase(page, phases, timeoutMs = 600_000) {
      const handle = await page.waitForFunction(
        (wanted) => {
          const phase = (window as unknown as { kilnDemo?: { phase: string } }).kilnDemo?.phase;
          return phase && (wanted.includes(phase) || phase === 'error' || phase === 'no-webgpu') ? phase : null;
        },
        phases,
        { timeout: timeoutMs, polling: 250 },
      );
      const phase = (await handle.jsonValue()) as string;
      if (!phases.includes(phase)) {
        const error = await page.evaluate(() => (window as unknown as { kilnDemo: { error?: string } }).kilnDemo.error);
        throw new Error(`page ${page.url()} reached phase '${phase}': ${error ?? ''} ${errors.get(page)?.join(' | ') ?? ''}`);
      }
    },
    async screenshot(page, name) {
      const file = join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await context.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Launches one demo browser (server + chromium) for the enclosing describe block, closing it after;
 * the block is skipped where there is no chromium. Call inside describe(); use the returned getter in tests.
 */
export function useDemoBrowser(): () => DemoBrowser {
  let browser: DemoBrowser | null = null;
  before(async function () {
    if (!browserAvailable()) this.skip();
    browser = await launchDemoBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('the demo browser is not running');
    return browser;
  };
}

/** The page's window.kilnDemo without its functions (they do not cross into Node). */
export function demoState<T>(page: Page): Promise<T> {
  return page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { kilnDemo: unknown }).kilnDemo)) as never);
}
