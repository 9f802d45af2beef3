/**
 * What driving the page with Playwright costs a page that receives a lot over a WebSocket:
 * Playwright keeps DevTools' network domain on, so the renderer copies every frame into a
 * DevTools event that the browser process forwards and the driver parses. The same page
 * receives the same frames driven by Playwright and in a plain headless Chromium with no
 * driver attached; CPU by process from /proc, from the first frame sent to the last received.
 *
 *   npx tsx bench/driver-cost.ts [--mb N] [--runs N]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { CHROMIUM, CHROMIUM_ARGS, launchBrowser } from '../e2e/support/browser';
import { cpuMeter, formatCpu } from './cpu';
import { say } from './setup';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const FRAMES = arg('--mb', 80);
const RUNS = arg('--runs', 3);
const FRAME_BYTES = 1_000_000;
// JSON text like a sync batch's (escaped quotes and all), cut to 1 MB.
const frame = JSON.stringify({ t: 'evt', data: Array.from({ length: FRAME_BYTES / 50 }, (_, i) => ({ a: `message ${i}`, b: 'x'.repeat(30) })) }).slice(0, FRAME_BYTES);

let finished: ((line: string) => void) | null = null;
let meter: ReturnType<typeof cpuMeter> | null = null;
let sentAt = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/done') {
    const used = meter ? formatCpu(meter.stop(), Date.now() - sentAt) : '';
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      res.end('ok');
      finished?.(`${(JSON.parse(body) as { ms: number }).ms} ms; CPU: ${used}`);
    });
    return;
  }
  res.setHeader('content-type', 'text/html');
  res.end(`<script>
const ws = new WebSocket('ws://' + location.host + '/ws'); let n = 0, t0 = 0;
ws.onopen = () => { t0 = performance.now(); ws.send('go'); };
ws.onmessage = () => { if (++n === ${FRAMES}) { fetch('/done', { method: 'POST', body: JSON.stringify({ ms: Math.round(performance.now() - t0) }) }); ws.close(); } };
</script>`);
});
const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (ws) =>
  ws.once('message', () => {
    meter = cpuMeter(() => ({ hostPid: null, dovecotTag: 'none' }));
    sentAt = Date.now();
    for (let i = 0; i < FRAMES; i++) ws.send(frame);
  }),
);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
const next = () => new Promise<string>((r) => (finished = r));

say(`${FRAMES} frames of 1 MB, ${RUNS} runs each`);
const { context, close } = await launchBrowser();
try {
  for (let r = 0; r < RUNS; r++) {
    const page = await context.newPage();
    const done = next();
    await page.goto(url);
    say(`  driven by Playwright: ${await done}`);
    await page.close();

    const dir = mkdtempSync(path.join(os.tmpdir(), 'petrel-driver-cost-'));
    const plainDone = next();
    const child = spawn(CHROMIUM, ['--headless', ...CHROMIUM_ARGS, `--user-data-dir=${dir}`, url], { stdio: 'ignore', env: { ...process.env, HOME: dir } });
    say(`  plain Chromium:       ${await plainDone}`);
    child.kill('SIGKILL');
    await new Promise((res) => child.once('exit', res));
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  await close();
  server.close();
}
process.exit(0);
