// The demo server answers every request, whatever its path, method or size, and stays up: a
// malformed percent escape is a 400, a method other than GET and HEAD a 405, garbage a 400.
import { expect } from 'chai';
import { connect } from 'node:net';
import { startDemoServer, type DemoServer } from '../demos/server';
import { RandomStream } from '../src/node';

/** Sends raw bytes, resolves to the status code of the first response line (or 0 for none). */
function rawRequest(port: number, request: string): Promise<number> {
  return new Promise((ok, fail) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(request.slice(0, 80))}`)));
    socket.on('data', (chunk) => (reply += chunk.toString('latin1')));
    socket.on('error', fail);
    socket.on('close', () => ok(Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0)));
    socket.write(request); // not end(): a half-closed client may lose a streamed reply
  });
}

const get = (path: string, method = 'GET') => `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`;

describe('the demo server', function () {
  this.timeout(120_000);
  let server: DemoServer;
  let port = 0;

  before(async () => {
    server = await startDemoServer({ port: 0 });
    port = Number(new URL(server.url).port);
  });
  after(() => server.close());

  it('malformed escapes are 400, other methods 405, and the pages still load', async () => {
    for (const path of ['/%zz', '/index.html%', '/%', '/%e0%a4', '/data/mnist/%GG']) expect(await rawRequest(port, get(path)), path).to.equal(400);
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) expect(await rawRequest(port, get('/index.html', method)), method).to.equal(405);
    expect(await rawRequest(port, get('/index.html'))).to.equal(200);
    expect(await rawRequest(port, get('/index.html', 'HEAD'))).to.equal(200);
    expect(await rawRequest(port, get('/../../etc/passwd'))).to.equal(404);
    expect(await rawRequest(port, 'NOT HTTP AT ALL\r\n\r\n')).to.equal(400);
  });

  it('a few hundred random and malformed paths each get an answer, and the server lives', async () => {
    const rand = new RandomStream(7);
    const alphabet = 'abcxyz019/._~-%?#&=+!$';
    const pieces = ['%', '%z', '%zz', '%2', '%2F', '%00', '%ff', '..', '//', 'index.html', 'data/mnist/', '%e0%a4%a'];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      let path = '/';
      const length = rand.below(i % 50 === 49 ? 8000 : 40);
      while (path.length < length) path += rand.below(4) === 0 ? pieces[rand.below(pieces.length)]! : alphabet[rand.below(alphabet.length)]!;
      const status = await rawRequest(port, get(path, rand.below(10) === 0 ? 'POST' : 'GET'));
      expect(status, path).to.be.oneOf([200, 400, 404, 405, 414, 431]);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    expect(statuses.get(400) ?? 0).to.be.above(0);
    expect(await rawRequest(port, get('/index.html'))).to.equal(200);
  });
});
