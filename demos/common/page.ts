// What every demo page shares: opening the WebGPU device (with a clear message where WebGPU is
// missing, never a blank page), the adapter line, a status line, and query-string settings so that
// a test can drive a page (`?autostart=1&epochs=5`).
import { openDevice, type Device } from '../../src/browser';

/** State a page publishes for tests and curious users (window.kilnDemo in the console). */
export interface DemoState {
  /** 'loading' → 'ready' → 'running' → 'done' (or 'error' / 'no-webgpu'). */
  phase: 'loading' | 'ready' | 'running' | 'done' | 'error' | 'no-webgpu';
  error?: string;
  [key: string]: unknown;
}

declare global {
  interface Window {
    kilnDemo: DemoState;
  }
}

export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no element #${id}`);
  return el;
}

export function setPhase(phase: DemoState['phase'], extra: Partial<DemoState> = {}): void {
  Object.assign(window.kilnDemo, extra, { phase });
  document.body.dataset['phase'] = phase;
}

export function status(text: string): void {
  const el = document.getElementById('status');
  if (el) el.textContent = text;
}

/** Query-string settings: ?name=value, with the page's default when absent. */
export function param(name: string, fallback: number): number;
export function param(name: string, fallback: string): string;
export function param(name: string, fallback: number | string): number | string {
  const raw = new URLSearchParams(location.search).get(name);
  if (raw === null) return fallback;
  return typeof fallback === 'number' ? Number(raw) : raw;
}

/** Opens the device and shows which adapter the page runs on; null (with a message) without WebGPU. */
export async function openPageDevice(): Promise<Device | null> {
  window.kilnDemo = { phase: 'loading' };
  const banner = $('adapter');
  try {
    // ?tuning=off skips the compile-time kernel timing (the tests' fresh profiles would redo it each run).
    const device = await openDevice({ tuning: param('tuning', 'on') !== 'off' });
    const a = device.adapter;
    banner.textContent = `WebGPU adapter: ${a.description || a.device || a.vendor || 'unnamed'}${a.vendor ? ` (${a.vendor}${a.architecture ? `, ${a.architecture}` : ''})` : ''}${a.isSoftware ? ', a software adapter running on the CPU' : ''}`;
    window.kilnDemo.adapter = banner.textContent;
    device.gpu.lost.then((info) => {
      if (info.reason !== 'destroyed') fail(`the GPU device was lost: ${info.message}`);
    });
    return device;
  } catch (e) {
    banner.textContent = 'WebGPU is not available here';
    const box = document.createElement('div');
    box.className = 'no-webgpu';
    box.innerHTML = `<strong>This page needs WebGPU.</strong> <span></span><br>Use a recent Chrome or Edge (desktop), or start Chrome with <code>--enable-unsafe-webgpu</code> on Linux.`;
    box.querySelector('span')!.textContent = (e as Error).message;
    document.querySelector('main')?.prepend(box);
    setPhase('no-webgpu', { error: (e as Error).message });
    return null;
  }
}

/** Shows an error on the page (and to tests) instead of failing silently in the console. */
export function fail(message: string): void {
  const box = document.createElement('div');
  box.className = 'error';
  box.textContent = message;
  document.querySelector('main')?.prepend(box);
  setPhase('error', { error: message });
}

/** Runs a page's main function, turning any exception into a visible error. */
export function runPage(main: () => Promise<void>): void {
  window.addEventListener('DOMContentLoaded', () => {
    main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
  });
}

/** Fetches a file served by the demo server as bytes, with an error naming the URL. */
export async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}
