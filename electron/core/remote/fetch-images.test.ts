import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log';
import { fetchRemoteImages } from './fetch-images';

let server: Server;
let base = '';
const cookies: (string | undefined)[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    cookies.push(req.headers.cookie ?? req.headers.referer);
    if (req.url === '/a.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from([137, 80, 78, 71]));
    if (req.url === '/page') return res.writeHead(200, { 'content-type': 'text/html' }).end('<script>');
    if (req.url === '/hop') return res.writeHead(302, { location: '/a.png' }).end();
    if (req.url === '/to-file') return res.writeHead(302, { location: 'file:///etc/passwd' }).end();
    if (req.url === '/huge') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.alloc(6 * 1024 * 1024));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('fetchRemoteImages', () => {
  it('returns images as data: URLs and refuses everything else', async () => {
    const log = createLogger('t', () => undefined);
    const out = await fetchRemoteImages(
      [`${base}/a.png`, `${base}/page`, `${base}/hop`, `${base}/to-file`, `${base}/huge`, `${base}/missing`],
      log,
    );
    const by = new Map(out.map((o) => [o.url, o]));
    expect(by.get(`${base}/a.png`)).toEqual({ url: `${base}/a.png`, dataUrl: 'data:image/png;base64,iVBORw==' });
    expect(by.get(`${base}/hop`)).toMatchObject({ dataUrl: 'data:image/png;base64,iVBORw==' });
    expect(by.get(`${base}/page`)).toMatchObject({ error: expect.stringMatching(/not an image/) });
    expect(by.get(`${base}/to-file`)).toMatchObject({ error: expect.stringMatching(/not an http/) });
    expect(by.get(`${base}/huge`)).toMatchObject({ error: 'image too large' });
    expect(by.get(`${base}/missing`)).toMatchObject({ error: 'HTTP 404' });
    expect(cookies.every((c) => c === undefined)).toBe(true);
  });
});
