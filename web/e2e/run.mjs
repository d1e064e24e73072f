// End-to-end tests of the demo page in Debian's chromium (headless), driven
// by playwright-core: never a downloaded browser. Run from the module root
// after `make web` (make test-web does both):
//
//	node web/e2e/run.mjs
//
// It builds the test server, cmd/generate and cmd/convert into web/e2e/out/,
// lays out bundles in web/e2e/out/models/ (the default model, a copy with a
// corrupted shard, and the shared reference sets when ../shared is there),
// serves them on 127.0.0.1 and checks the page against cmd/generate.
// Screenshots at 360 and 1280 px go to web/e2e/out/.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { readSafetensors } from './safetensors.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const out = path.join(here, 'out');
const models = path.join(out, 'models');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// The flags of the task's browser rules. SwiftShader's WebGPU adapter needs
// only --enable-unsafe-webgpu here (chromium 156, no GPU); --disable-features
// =WebGPU gives a browser whose navigator.gpu offers no adapter.
// playwright adds --headless itself (headless: true).
const BASE_FLAGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic'];
const GPU_FLAGS = [...BASE_FLAGS, '--enable-unsafe-webgpu'];
const NO_GPU_FLAGS = [...BASE_FLAGS, '--disable-features=WebGPU'];

const PROMPT = 'The xLSTM is a recurrent';
let server;
let base;
const browsers = [];
const profiles = []; // user-data-dirs, removed at the end

function go(args, opts = {}) {
  return execFileSync('go', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

function sharedDir() {
  if (process.env.XLSTM_SHARED) return fs.existsSync(process.env.XLSTM_SHARED) ? process.env.XLSTM_SHARED : '';
  const p = path.resolve(root, '..', 'shared');
  return fs.existsSync(p) ? p : '';
}

function copyBundle(from, to) {
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(from)) {
    if (f === 'manifest.json' || f.endsWith('.bin')) fs.copyFileSync(path.join(from, f), path.join(to, f));
  }
}

before(async () => {
  assert.ok(fs.existsSync(path.join(root, 'web/static/wasm/main.wasm')), 'web/static/wasm/main.wasm is missing: run make web first');
  fs.mkdirSync(models, { recursive: true });
  for (const [bin, pkg] of [['testserver', './web/e2e/testserver'], ['generate', './cmd/generate'], ['convert', './cmd/convert']]) {
    go(['build', '-o', path.join(out, bin), pkg]);
  }
  copyBundle(path.join(root, 'weights/default'), path.join(models, 'default'));
  // The same bundle with one byte of its first shard flipped.
  copyBundle(path.join(root, 'weights/default'), path.join(models, 'corrupt'));
  const man = JSON.parse(fs.readFileSync(path.join(models, 'corrupt/manifest.json'), 'utf8'));
  const shard = path.join(models, 'corrupt', man.shards[0].file);
  const b = fs.readFileSync(shard);
  b[b.length >> 1] ^= 0x40;
  fs.writeFileSync(shard, b);
  const shared = sharedDir();
  for (const set of ['mixed', 'xlstm_large']) {
    const src = shared && path.join(shared, 'xlstm/reference', set);
    if (!src || !fs.existsSync(src)) continue;
    fs.rmSync(path.join(models, set), { recursive: true, force: true });
    execFileSync(path.join(out, 'convert'), ['-in', src, '-out', path.join(models, set), '-dtype', 'f32'], { stdio: 'ignore' });
  }

  server = spawn(path.join(out, 'testserver'), ['-models', models], { stdio: ['ignore', 'pipe', 'inherit'] });
  base = await new Promise((resolve, reject) => {
    server.stdout.once('data', (d) => resolve(String(d).trim()));
    server.once('exit', (c) => reject(new Error('test server exited: ' + c)));
  });
});

after(async () => {
  for (const b of browsers) await b.close().catch(() => {});
  for (const d of profiles) fs.rmSync(d, { recursive: true, force: true });
  if (server) server.kill();
});

// browser starts chromium with a fresh user-data-dir (empty caches).
async function browser(flags = GPU_FLAGS) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xlstm-e2e-'));
  profiles.push(dir);
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: flags,
    viewport: { width: 1280, height: 900 },
  });
  browsers.push(ctx);
  // Generous: CI has two shared cores and SwiftShader emulates the GPU on them.
  ctx.setDefaultTimeout(180000);
  ctx.on('page', (p) => {
    p.on('pageerror', (e) => console.log('# page error:', e.message));
    // E2E_DEBUG=1 echoes the page's console (its worker's included).
    if (process.env.E2E_DEBUG) p.on('console', (m) => console.log('# console:', m.type(), m.text()));
  });
  return ctx;
}

// Most tests share one browser (with SwiftShader's WebGPU adapter), each on
// a new page; its cache and IndexedDB carry over from test to test.
let sharedCtx = null;
let pages = [];
async function newPage() {
  if (!sharedCtx) sharedCtx = await browser();
  const p = await sharedCtx.newPage();
  pages.push(p);
  return p;
}

afterEach(async () => {
  for (const p of pages) await p.close().catch(() => {});
  pages = [];
});

// freshPage is a page in a browser of its own, with empty storage.
async function freshPage(flags) {
  const ctx = await browser(flags);
  return ctx.pages()[0] || ctx.newPage();
}

async function open(page, query = '') {
  await page.goto(base + query);
  await page.waitForFunction(() => document.body.dataset.ready === 'true' || !document.querySelector('[data-testid=error]').hidden, null, { timeout: 180000 });
}

async function errorText(page) {
  const e = page.getByTestId('error');
  return (await e.isVisible()) ? (await e.textContent()) : '';
}

async function setParams(page, { temperature, topK = 0, topP = 0, seed = 0, maxTokens }) {
  await page.fill('#temperature', String(temperature));
  await page.fill('#top-k', String(topK));
  await page.fill('#top-p', String(topP));
  await page.fill('#seed', String(seed));
  await page.fill('#max-tokens', String(maxTokens));
}

async function waitIdle(page) {
  await page.waitForFunction(() => document.body.dataset.generating === 'false', null, { timeout: 180000 });
  assert.equal(await errorText(page), '', 'the page shows an error');
}

// generate runs one generation (or a continuation) and returns the ids.
async function generate(page, cont = false) {
  await page.evaluate(() => { document.body.dataset.generating = 'pending'; });
  await page.click(cont ? '#continue' : '[data-testid=generate]');
  await waitIdle(page);
  const ids = await page.getAttribute('[data-testid=output]', 'data-tokens');
  const prompt = await page.getAttribute('[data-testid=output]', 'data-prompt-tokens');
  return { ids: ids ? ids.split(',').map(Number) : [], prompt: prompt.split(',').map(Number) };
}

// cli runs cmd/generate on the same bundle.
function cli(model, args) {
  return execFileSync(path.join(out, 'generate'), ['-model', path.join(models, model), ...args], { encoding: 'utf8' });
}

const sampling = [
  { name: 'greedy', p: { temperature: 0, maxTokens: 40 } },
  { name: 'seeded', p: { temperature: 0.9, topK: 40, topP: 0.95, seed: 7, maxTokens: 40 } },
];

function cliParams(p) {
  return ['-temperature', String(p.temperature), '-top-k', String(p.topK || 0), '-top-p', String(p.topP || 0), '-seed', String(p.seed || 0), '-n', String(p.maxTokens)];
}

// expectWebGPU asserts that ?backend=auto chose WebGPU in a browser with
// SwiftShader's adapter.
async function expectWebGPU(page) {
  const b = await page.getByTestId('backend').textContent();
  assert.match(b, /^WebGPU: adapter /, 'auto did not choose WebGPU although an adapter exists');
}

// First: the shared browser's first load fills its cache.
test('a reload fetches no shard (Cache API)', async () => {
  const page = await newPage();
  await open(page, '?backend=cpu');
  let log = await (await fetch(base + '__requests')).json();
  assert.ok(log.some((p) => p.endsWith('.bin')), 'the first load fetched no shard: ' + log);
  await fetch(base + '__requests', { method: 'DELETE' });
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 180000 });
  log = await (await fetch(base + '__requests')).json();
  assert.deepEqual(log.filter((p) => p.endsWith('.bin')), [], 'the reload fetched shards');
  assert.ok(log.includes('/models/default/manifest.json'), 'the reload did not read the manifest: ' + log);
  assert.match(await page.locator('#progress-text').textContent(), /from this browser.s cache/);
});

for (const backend of ['cpu', 'webgpu']) {
  test(`same tokens as cmd/generate (${backend})`, async () => {
    const page = await newPage();
    await open(page, backend === 'cpu' ? '?backend=cpu' : '');
    if (backend === 'cpu') {
      assert.equal(await page.getByTestId('backend').textContent(), 'CPU (WASM): forced by ?backend=cpu');
    } else {
      await expectWebGPU(page);
    }
    await page.fill('[data-testid=prompt]', PROMPT);
    for (const s of sampling) {
      await setParams(page, s.p);
      const got = await generate(page);
      const wantIds = cli('default', ['-tokens', got.prompt.join(','), ...cliParams(s.p)]).trim().split(' ').map(Number);
      assert.deepEqual(got.ids, wantIds, s.name + ': token ids differ from cmd/generate');
      const wantText = cli('default', ['-prompt', PROMPT, ...cliParams(s.p)]);
      const text = (await page.locator('#out-text').textContent()) + (await page.locator('#out-tail').textContent());
      assert.equal(text + '\n', wantText, s.name + ': text differs from cmd/generate');
    }
    const stats = await page.getByTestId('stats').textContent();
    for (const k of ['Time to first token', 'tok/s', 'F32', 'State size']) assert.ok(stats.includes(k), 'stats lack ' + k + ': ' + stats);
  });
}

test('a corrupted shard is an error naming it', async () => {
  const page = await freshPage(GPU_FLAGS);
  await open(page, '?backend=cpu&model=models/corrupt/manifest.json');
  const man = JSON.parse(fs.readFileSync(path.join(models, 'corrupt/manifest.json'), 'utf8'));
  const err = await errorText(page);
  assert.match(err, /corrupted/);
  assert.ok(err.includes(man.shards[0].file), 'the error does not name the shard: ' + err);
  assert.ok(await page.getByTestId('generate').isDisabled(), 'Generate is enabled after a failed load');
  // Nothing bad was cached: the good bundle still loads and runs.
  await open(page, '?backend=cpu');
  assert.equal(await errorText(page), '');
});

for (const backend of ['cpu', 'webgpu']) {
test(`save, reload, restore continues identically (${backend})`, async () => {
  const page = await newPage();
  await open(page, '?backend=' + backend);
  const p = { temperature: 0.9, topK: 0, topP: 0.9, seed: 11, maxTokens: 20 };
  await page.fill('[data-testid=prompt]', PROMPT);
  await setParams(page, p);
  const first = await generate(page);
  const text = await page.getByTestId('output').textContent();
  await page.click('[data-testid=save-state]');
  await page.waitForFunction(() => !!document.body.dataset.saved);
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 180000 });
  assert.ok(await page.getByTestId('restore-state').isEnabled(), 'Restore is not offered after the reload');
  await page.click('[data-testid=restore-state]');
  await page.waitForFunction(() => document.body.dataset.restored === 'true');
  assert.equal(await page.getByTestId('output').textContent(), text, 'restored text');
  await page.fill('#max-tokens', '15');
  const cont = await generate(page, true);
  const whole = cli('default', ['-tokens', first.prompt.join(','), ...cliParams({ ...p, maxTokens: 35 })]).trim().split(' ').map(Number);
  assert.deepEqual(cont.ids, whole, 'saved + restored + continued tokens differ from one uninterrupted run');
});
}

test('?backend=webgpu without an adapter is an error', async () => {
  const page = await freshPage(NO_GPU_FLAGS);
  await open(page, '?backend=webgpu');
  const err = await errorText(page);
  assert.match(err, /backend webgpu was asked for \(\?backend=webgpu\) but cannot run/);
  assert.doesNotMatch(await page.getByTestId('backend').textContent(), /CPU/, 'the page switched to the CPU silently');
  // The same browser without forcing falls back and says why.
  await open(page, '');
  assert.match(await page.getByTestId('backend').textContent(), /^CPU \(WASM\): (the WebGPU backend is not available in this build|WebGPU is present but offers no adapter|WebGPU not available in this browser)/);
});

// An origin that is not a secure context (a host name mapped to
// 127.0.0.1): no Cache API, no WebGPU, no WebCrypto. The page must still
// work from memory, say so, and still refuse a corrupted shard (Go checks).
test('insecure origin: memory only, and says so', async () => {
  const page = await freshPage([...GPU_FLAGS, '--host-resolver-rules=MAP xlstm-demo.test 127.0.0.1']);
  const insecure = base.replace('127.0.0.1', 'xlstm-demo.test');
  await page.goto(insecure);
  await page.waitForFunction(() => document.body.dataset.ready === 'true' || !document.querySelector('[data-testid=error]').hidden);
  assert.equal(await errorText(page), '');
  assert.match(await page.locator('#storage').textContent(), /^storage refused .*working from memory only/);
  assert.match(await page.getByTestId('backend').textContent(), /^CPU \(WASM\): WebGPU needs a secure context/);
  await setParams(page, { temperature: 0, maxTokens: 10 });
  const got = await generate(page);
  const want = cli('default', ['-tokens', got.prompt.join(','), ...cliParams({ temperature: 0, maxTokens: 10 })]).trim().split(' ').map(Number);
  assert.deepEqual(got.ids, want);
  await page.goto(insecure + '?model=models/corrupt/manifest.json');
  await page.waitForFunction(() => !document.querySelector('[data-testid=error]').hidden);
  const man = JSON.parse(fs.readFileSync(path.join(models, 'corrupt/manifest.json'), 'utf8'));
  const err = await errorText(page);
  assert.match(err, /corrupted/);
  assert.ok(err.includes(man.shards[0].file), 'the error does not name the shard: ' + err);
});

test('stop ends a long generation', async () => {
  const page = await newPage();
  await open(page, '?backend=cpu');
  await setParams(page, { temperature: 1, seed: 1, maxTokens: 100000 });
  await page.evaluate(() => { document.body.dataset.generating = 'pending'; });
  await page.click('[data-testid=generate]');
  await page.waitForFunction(() => document.getElementById('out-text').textContent.length > 20);
  await page.click('[data-testid=stop]');
  await waitIdle(page);
  assert.match(await page.getByTestId('stats').textContent(), /\(cancelled\)/);
  const n = (await page.getAttribute('[data-testid=output]', 'data-tokens')).split(',').length;
  assert.ok(n < 100000, 'stop did not stop');
});

test('keyboard: Ctrl+Enter in the prompt generates', async () => {
  const page = await newPage();
  await open(page, '?backend=cpu');
  await setParams(page, { temperature: 0, maxTokens: 5 });
  await page.focus('[data-testid=prompt]');
  await page.evaluate(() => { document.body.dataset.generating = 'pending'; });
  await page.keyboard.press('Control+Enter');
  await waitIdle(page);
  assert.equal((await page.getAttribute('[data-testid=output]', 'data-tokens')).split(',').length, 5);
});

// Logits of the reference sets' first sequence, through the page's test hook.
for (const backend of ['cpu', 'webgpu']) {
  for (const set of ['mixed', 'xlstm_large']) {
    test(`logits match the reference: ${set} (${backend})`, async (t) => {
      const shared = sharedDir();
      if (!shared || !fs.existsSync(path.join(models, set))) {
        t.skip('shared reference data not found (set XLSTM_SHARED or place it at ../shared)');
        return;
      }
      const page = await newPage();
      await open(page, `?model=models/${set}/manifest.json` + (backend === 'cpu' ? '&backend=cpu' : ''));
      assert.equal(await errorText(page), '');
      if (backend === 'webgpu') await expectWebGPU(page);
      const io = readSafetensors(path.join(shared, 'xlstm/reference', set, 'io.safetensors'));
      const [, S] = io.tokens.shape;
      const tokens = Array.from(io.tokens.data.slice(0, S), Number);
      const ref = io.logits_step;
      const V = ref.shape[2];
      const got = await page.evaluate((tk) => window.xlstmTest.logits(tk), tokens);
      assert.equal(got.vocab, V);
      assert.equal(got.logits.length, S * V);
      let worst = 0;
      for (let i = 0; i < S * V; i++) worst = Math.max(worst, Math.abs(got.logits[i] - ref.data[i]));
      console.log(`# ${set} ${backend}: max |page - logits_step| = ${worst.toExponential(2)} over ${S}x${V}`);
      assert.ok(worst <= 1e-3, `max abs error ${worst} > 1e-3`);
    });
  }
}

test('screenshots at 360 and 1280 px', async () => {
  for (const [w, h, scheme] of [[360, 780, 'light'], [1280, 900, 'light'], [360, 780, 'dark']]) {
    const page = await newPage();
    await page.setViewportSize({ width: w, height: h });
    await page.emulateMedia({ colorScheme: scheme });
    await open(page, '');
    await setParams(page, { temperature: 0.8, topK: 40, topP: 0.95, seed: 1, maxTokens: 30 });
    await generate(page);
    // Nothing may stick out sideways at this width.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than a ${w}px window`);
    await page.screenshot({ path: path.join(out, `screenshot-${w}${scheme === 'dark' ? '-dark' : ''}.png`), fullPage: true });
  }
});
