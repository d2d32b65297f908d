// The demo server: the built pages (dist/demos), the shipped MNIST files (/data/mnist/), Debian's
// Fashion-MNIST (/data/fashion-mnist/) and the shipped tiny Shakespeare (/data/tinyshakespeare/), on 127.0.0.1 only. `npm run demo` builds the pages and runs
// it; tests start it on port 0 through startDemoServer().
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.gz': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
  '.png': 'image/png',
};

export interface DemoServerOptions {
  /** 0 picks a free port. */
  port?: number;
  /** The repository root (default: the current directory). */
  root?: string;
  fashionDir?: string;
}

export interface DemoServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Folders served under URL prefixes; anything outside them is a 404. */
function mounts(root: string, fashionDir: string): [string, string][] {
  return [
    ['/data/mnist/', join(root, 'data', 'mnist')],
    ['/data/fashion-mnist/', fashionDir],
    ['/data/tinyshakespeare/', join(root, 'data', 'tinyshakespeare')],
    ['/', join(root, 'dist', 'demos')],
  ];
}

function resolveFile(urlPath: string, table: [string, string][]): string | null {
  for (const [prefix, dir] of table) {
    if (!urlPath.startsWith(prefix)) continue;
    let rest = decodeURIComponent(urlPath.slice(prefix.length));
    if (rest === '' || rest.endsWith('/')) rest += 'index.html';
    const file = normalize(join(dir, rest));
    // No escaping the mounted folder with ../
    if (file !== dir && !file.startsWith(dir + sep)) return null;
    return existsSync(file) && statSync(file).isFile() ? file : null;
  }
  return null;
}

function respond(req: IncomingMessage, res: ServerResponse, table: [string, string][]): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end(`method ${req.method ?? '?'} not allowed\n`);
    return;
  }
  let path: string;
  let file: string | null;
  try {
    path = new URL(req.url ?? '/', 'http://localhost').pathname;
    file = resolveFile(path, table);
  } catch {
    // A malformed URL or percent escape (/%zz, /index.html%).
    res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request: malformed URL\n');
    return;
  }
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

export function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const root = resolve(options.root ?? process.cwd());
  const table = mounts(root, options.fashionDir ?? '/usr/share/datasets/fashion-mnist');
  if (!existsSync(join(root, 'dist', 'demos', 'index.html'))) {
    return Promise.reject(new Error(`${join(root, 'dist', 'demos')} has no built pages: run npm run build:demos first`));
  }
  const server = createServer((req, res) => {
    // Every request gets an answer, whatever its method, path or size, and none can stop the server.
    try {
      respond(req, res, table);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`internal error: ${(error as Error).message}\n`);
    }
  });
  // A client that sends garbage (not HTTP at all) gets a 400 from Node and its socket closed.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 8080, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      ok({ url: `http://127.0.0.1:${port}/`, server, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

// Run directly (dist/demo-server.js): serve until interrupted.
if (process.argv[1]?.endsWith('demo-server.js')) {
  const portArg = process.argv.indexOf('--port');
  const port = Number(portArg >= 0 ? process.argv[portArg + 1] : (process.env['PORT'] ?? 8080));
  startDemoServer({ port }).then(
    (s) => console.log(`Kiln demos: ${s.url} (open it in Chrome; Ctrl-C stops the server)`),
    (e: Error) => {
      console.error(`demo server: ${e.message}`);
      process.exit(1);
    },
  );
}
