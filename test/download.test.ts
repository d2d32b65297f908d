// `kiln data mnist --download`: files fetched from a mirror are md5-checked before they are saved.
// The mirror is a local HTTP server serving the MNIST files shipped in data/mnist, so nothing here
// leaves the machine.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { downloadManifest, type Manifest } from '../src/cli/download';
import { rejection } from './helpers/errors';

// Resolved from cwd rather than import.meta.url because the test runs from a bundle in build/test/.
const SHIPPED = resolve(process.cwd(), 'data/mnist');
const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');
const shipped = (file: string): Buffer => readFileSync(join(SHIPPED, file));

/** The shipped file with byte 100 flipped: what a corrupting mirror sends. */
function corrupted(file: string): Buffer {
  const body = Buffer.from(shipped(file));
  body[100] ^= 0xff;
  return body;
}

/** Serves data/mnist over HTTP; `corrupt` names a file whose byte 100 is flipped on the way out. */
async function mirror(corrupt?: string): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const file = decodeURIComponent((req.url ?? '/').slice(1));
    requests.push(file);
    if (!FILES.includes(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const body = file === corrupt ? corrupted(file) : shipped(file);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** Runs bin/kiln.js asynchronously (spawnSync would block the event loop that serves the mirror). */
function kiln(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['bin/kiln.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, out, err }));
  });
}

describe('MNIST download', function () {
  this.timeout(120_000);
  let manifest: Manifest;
  let work: string;

  before(() => {
    manifest = Object.fromEntries(FILES.map((f) => [f, md5(shipped(f))]));
    // The shipped files' md5s as data/mnist/README.md lists them: the test set is the official one.
    expect(manifest['t10k-images-idx3-ubyte.gz']).to.equal('9fb629c4189551a2d022fa330f9573f3');
    expect(manifest['t10k-labels-idx1-ubyte.gz']).to.equal('ec29112dd5afa0611ce80d1b7f02629c');
  });
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'kiln-download-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('downloads every file byte-identical, creating the folder, and skips files already present', async () => {
    const server = await mirror();
    try {
      const dir = join(work, 'new', 'mnist');
      const lines: string[] = [];
      const results = await downloadManifest(manifest, server.url, dir, (l) => lines.push(l));
      expect(results.map((r) => r.status)).to.deep.equal(['downloaded', 'downloaded', 'downloaded', 'downloaded']);
      expect(readdirSync(dir).sort()).to.deep.equal([...FILES].sort());
      for (const f of FILES) expect(readFileSync(join(dir, f)).equals(shipped(f)), f).to.equal(true);
      expect(lines).to.have.length(4);
      expect(lines[0]).to.match(/^train-images-idx3-ubyte\.gz: downloaded 3645458 bytes, md5 ok$/);

      server.requests.length = 0;
      const again: string[] = [];
      await downloadManifest(manifest, server.url.slice(0, -1), dir, (l) => again.push(l)); // no trailing slash: still works
      expect(server.requests, 'nothing fetched again').to.deep.equal([]);
      expect(again.every((l) => /already present, md5 ok$/.test(l))).to.equal(true);
    } finally {
      await server.close();
    }
  });

  it('rejects a corrupted file with both md5s and does not save it', async () => {
    const server = await mirror('train-labels-idx1-ubyte.gz');
    try {
      const e = await rejection(downloadManifest(manifest, server.url, work));
      expect(e.message).to.equal(
        `train-labels-idx1-ubyte.gz: md5 mismatch, expected ${manifest['train-labels-idx1-ubyte.gz']}, got ${md5(corrupted('train-labels-idx1-ubyte.gz'))} (11259 bytes from ${server.url}train-labels-idx1-ubyte.gz); the file was not saved`,
      );
      expect(readdirSync(work), 'the good file before it stays; no corrupt or temporary file').to.deep.equal(['train-images-idx3-ubyte.gz']);
    } finally {
      await server.close();
    }
  });

  it('replaces a present file whose md5 is wrong', async () => {
    const server = await mirror();
    try {
      const one = { 't10k-labels-idx1-ubyte.gz': manifest['t10k-labels-idx1-ubyte.gz']! };
      writeFileSync(join(work, 't10k-labels-idx1-ubyte.gz'), 'half a download');
      const [result] = await downloadManifest(one, server.url, work);
      expect(result!.status).to.equal('downloaded');
      expect(readFileSync(join(work, 't10k-labels-idx1-ubyte.gz')).equals(shipped('t10k-labels-idx1-ubyte.gz'))).to.equal(true);
    } finally {
      await server.close();
    }
  });

  it('names the URL and the HTTP status of a failed request', async () => {
    const server = await mirror();
    try {
      const e = await rejection(downloadManifest({ 'missing.gz': '0'.repeat(32) }, server.url, work));
      expect(e.message).to.equal(`missing.gz: GET ${server.url}missing.gz: HTTP 404 Not Found`);
      expect(readdirSync(work)).to.deep.equal([]);
    } finally {
      await server.close();
    }
  });

  it('refuses manifests that name paths or malformed md5s', async () => {
    expect((await rejection(downloadManifest({ '../escape.gz': '0'.repeat(32) }, 'http://127.0.0.1:9/', work))).message).to.match(
      /'\.\.\/escape\.gz' is not a plain file name/,
    );
    expect((await rejection(downloadManifest({ 'a.gz': 'abc' }, 'http://127.0.0.1:9/', work))).message).to.match(/md5 of a\.gz must be 32 hex digits/);
  });

  describe('through the command line', () => {
    it('kiln data mnist --download DIR --mirror URL --manifest FILE prints one line per file', async () => {
      const server = await mirror();
      try {
        const dir = join(work, 'mnist');
        const manifestFile = join(work, 'manifest.json');
        writeFileSync(manifestFile, JSON.stringify(manifest));
        const r = await kiln('data', 'mnist', '--download', dir, '--mirror', server.url, '--manifest', manifestFile);
        expect(r.code, r.err).to.equal(0);
        expect(r.out.trim().split('\n')).to.have.length(4);
        for (const f of FILES) {
          expect(r.out).to.include(`${f}: downloaded`);
          expect(readFileSync(join(dir, f)).equals(shipped(f)), f).to.equal(true);
        }
      } finally {
        await server.close();
      }
    });

    it('a corrupt download exits with code 1, names the file and md5s, and leaves no file', async () => {
      const server = await mirror('t10k-images-idx3-ubyte.gz');
      try {
        const manifestFile = join(work, 'manifest.json');
        writeFileSync(manifestFile, JSON.stringify({ 't10k-images-idx3-ubyte.gz': manifest['t10k-images-idx3-ubyte.gz'] }));
        const r = await kiln('data', 'mnist', '--download', join(work, 'd'), '--mirror', server.url, '--manifest', manifestFile);
        expect(r.code).to.equal(1);
        expect(r.err).to.match(/t10k-images-idx3-ubyte\.gz: md5 mismatch, expected 9fb629c4189551a2d022fa330f9573f3, got [0-9a-f]{32}/);
        expect(r.err).to.not.match(/\n\s+at /);
        expect(existsSync(join(work, 'd', 't10k-images-idx3-ubyte.gz'))).to.equal(false);
        expect(readdirSync(join(work, 'd'))).to.deep.equal([]);
      } finally {
        await server.close();
      }
    });

    it('--download is required (usage error, exit code 2), and a bad manifest file is named', async () => {
      const r = await kiln('data', 'mnist');
      expect(r.code).to.equal(2);
      expect(r.err).to.match(/UsageError: --download is required: the folder to put the MNIST files in/);
      const bad = join(work, 'bad.json');
      writeFileSync(bad, '{ not json');
      const m = await kiln('data', 'mnist', '--download', work, '--manifest', bad);
      expect(m.code).to.equal(1);
      expect(m.err).to.match(/manifest .*bad\.json: not valid JSON/);
    });
  });
});

describe('a misbehaving mirror', function () {
  this.timeout(60_000);
  const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
  const entry = { md5: md5(body), bytes: body.length };
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'kiln-download-bad-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  /** A server on 127.0.0.1 whose handler gets the request number (0, 1, ...); close() drops every connection. */
  async function serve(handler: (req: IncomingMessage, res: ServerResponse, attempt: number) => void): Promise<{ url: string; close: () => Promise<void> }> {
    let attempt = 0;
    const sockets = new Set<Socket>();
    const server = createServer((req, res) => handler(req, res, attempt++));
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/`,
      close: () => {
        for (const s of sockets) s.destroy();
        return new Promise<void>((done) => server.close(() => done()));
      },
    };
  }

  it('a server that never answers is given up after the idle timeout, retried, and named', async () => {
    const server = await serve(() => {});
    try {
      const lines: string[] = [];
      const started = performance.now();
      const e = await rejection(downloadManifest({ 'a.gz': entry }, server.url, work, { log: (l) => lines.push(l), idleSeconds: 0.3, retries: 1 }));
      expect(performance.now() - started).to.be.below(10_000);
      expect(e.message).to.equal(`a.gz: GET ${server.url}a.gz: no byte received for 0.3 s after 0 bytes (--timeout changes the limit) (2 attempts)`);
      expect(lines).to.deep.equal([`a.gz: GET ${server.url}a.gz: no byte received for 0.3 s after 0 bytes (--timeout changes the limit); retrying (1 of 1)`]);
      expect(readdirSync(work)).to.deep.equal([]);
    } finally {
      await server.close();
    }
  });

  it('a body that stalls midway is given up, with the bytes it got', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 1000));
    });
    try {
      const e = await rejection(downloadManifest({ 'a.gz': entry }, server.url, work, { idleSeconds: 0.3, retries: 0 }));
      expect(e.message).to.equal(`a.gz: GET ${server.url}a.gz: no byte received for 0.3 s after 1000 bytes (--timeout changes the limit)`);
    } finally {
      await server.close();
    }
  });

  it('an endless body is refused while it streams, at the size the manifest gives', async () => {
    const chunk = Buffer.alloc(65536, 7);
    let sent = 0;
    const server = await serve((_req, res) => {
      res.writeHead(200);
      const more = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
        if (!res.destroyed) res.once('drain', more);
      };
      more();
    });
    try {
      const e = await rejection(downloadManifest({ 'a.gz': entry }, server.url, work, { idleSeconds: 5 }));
      expect(e.message).to.equal(`a.gz: GET ${server.url}a.gz: more than the 5000 bytes expected; refused`);
      expect(sent, 'it stopped reading early').to.be.below(64 * 1024 * 1024);
      const announced = await serve((_req, res) => res.writeHead(200, { 'content-length': 10 ** 9 }).write('x'));
      try {
        const big = await rejection(downloadManifest({ 'a.gz': entry }, announced.url, work, { idleSeconds: 5 }));
        expect(big.message).to.equal(`a.gz: GET ${announced.url}a.gz: the server announces 1000000000 bytes, more than the 5000 expected; refused`);
      } finally {
        await announced.close();
      }
    } finally {
      await server.close();
    }
  });

  it('a dropped connection is retried, and the next good attempt is kept', async () => {
    const server = await serve((_req, res, attempt) => {
      if (attempt === 0) {
        res.writeHead(200, { 'content-length': body.length });
        res.write(body.subarray(0, 1200), () => res.socket?.destroy());
        return;
      }
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    try {
      const lines: string[] = [];
      const [result] = await downloadManifest({ 'a.gz': entry }, server.url, work, { log: (l) => lines.push(l), idleSeconds: 5 });
      expect(result!.status).to.equal('downloaded');
      expect(readFileSync(join(work, 'a.gz')).equals(body)).to.equal(true);
      expect(lines[0]).to.match(/^a\.gz: GET http:\/\/127\.0\.0\.1:\d+\/a\.gz: the connection dropped after 1200 bytes \(.+\); retrying \(1 of 2\)$/);
      expect(lines[1]).to.equal('a.gz: downloaded 5000 bytes, md5 ok');
    } finally {
      await server.close();
    }
  });

  it('a refused connection names the URL, and --timeout is checked as a flag', async () => {
    const closed = await serve(() => {});
    await closed.close(); // nothing listens on its port any more
    const e = await rejection(downloadManifest({ 'a.gz': entry }, closed.url, work, { retries: 0 }));
    expect(e.message).to.match(/^a\.gz: GET http:\/\/127\.0\.0\.1:\d+\/a\.gz failed: .*ECONNREFUSED/);
    const r = await kiln('data', 'mnist', '--download', work, '--timeout', '0');
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/--timeout must be a number above 0, got 0/);
  });
});
