// The demo's Web Worker: fetches and checks the model bundle (Cache API),
// gets a WebGPU device when asked, runs the Go-wasm engine (wasm/main.wasm)
// and keeps saved conversations in IndexedDB, so that the page never
// freezes. The messages it exchanges with the page are listed in
// web/PROTOCOL.md.
'use strict';

const CACHE_NAME = 'xlstm-shards-v1';
const DB_NAME = 'xlstm-demo';
const DB_STORE = 'conversations';

let goReady = null; // Promise of the Go instance's xlstmGo object
let pending = new Map(); // Go request id -> {resolve, reject, onMessage}
let nextId = 1;
let modelKey = ''; // manifest URL: the key of this model's saved conversation
let convText = ''; // the conversation's text (prompt and output)
let genRequest = null; // the running generation's request id

const post = (msg, transfer) => self.postMessage(msg, transfer || []);
const fail = (message, during) => post({ type: 'error', message, during });

// --- Go-wasm ----------------------------------------------------------------

// Answers from Go arrive here (see web/wasm/main.go).
self.xlstmReply = (msg) => {
  if (msg.type === 'started') return;
  const p = pending.get(msg.id);
  if (!p) return;
  if (msg.type === 'error') {
    pending.delete(msg.id);
    p.reject(new Error(msg.message));
  } else {
    pending.delete(msg.id);
    p.resolve(msg);
  }
};

// Streamed tokens of a generation arrive here.
self.xlstmToken = (id, token, text) => {
  const p = pending.get(id);
  if (p && p.onMessage) p.onMessage({ token, text });
};

// callGo sends one message to Go and resolves with its final answer; tokens
// go to onMessage on the way.
async function callGo(msg, onMessage) {
  const go = await goReady;
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onMessage });
    go.handle(Object.assign({ id }, msg));
  });
}

async function startGo() {
  let resp;
  try {
    resp = await fetch('wasm/main.wasm');
  } catch (e) {
    throw new Error('cannot fetch wasm/main.wasm: ' + e.message);
  }
  if (!resp.ok) {
    throw new Error('wasm/main.wasm is missing (HTTP ' + resp.status + '): run make web');
  }
  try {
    importScripts('wasm/wasm_exec.js');
  } catch (e) {
    throw new Error('wasm/wasm_exec.js is missing: run make web');
  }
  const go = new self.Go();
  const result = await WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject);
  const instance = result.instance;
  go.run(instance).then(() => {
    // Only a panic ends the engine: fail what waits on it, so that nothing
    // (a generation, say) waits for ever.
    const err = new Error('the Go engine stopped (a panic: its message is in the console)');
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    fail(err.message, 'engine');
  });
  for (let i = 0; !self.xlstmGo; i++) {
    if (i > 500) throw new Error('the Go engine did not start');
    await new Promise((r) => setTimeout(r, 10));
  }
  return self.xlstmGo;
}

// --- fetching the bundle ----------------------------------------------------

function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
}

// sha256 is the hex digest, or null where WebCrypto is missing (pages not
// served from https or localhost): the Go side checks every hash again.
async function sha256(bytes) {
  if (!self.crypto || !crypto.subtle) return null;
  return hex(await crypto.subtle.digest('SHA-256', bytes));
}

// openCache returns the shard cache, or null and why not.
async function openCache() {
  if (!self.caches) return { cache: null, note: 'storage refused (no Cache API: the page is not served from https or localhost): working from memory only, a reload fetches the model again' };
  try {
    return { cache: await caches.open(CACHE_NAME), note: '' };
  } catch (e) {
    return { cache: null, note: 'storage refused (' + e.message + '): working from memory only, a reload fetches the model again' };
  }
}

// Shards are content-addressed, so the cache key is the hash, not the URL:
// the same shard under two model URLs is stored once.
const cacheKey = (sum) => new Request(new URL('/xlstm-shard-cache/' + sum, self.location.href));

// fetchBytes reads url's body, reporting each chunk's length.
async function fetchBytes(url, onBytes) {
  const resp = await fetch(url, { cache: 'no-store' });
  if (!resp.ok) throw new Error(url + ': HTTP ' + resp.status + ' ' + resp.statusText);
  const reader = resp.body.getReader();
  const chunks = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    n += value.length;
    onBytes(value.length);
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

// loadFiles fetches every file of the bundle (or takes it from the cache),
// checks its sha256 and reports progress; it returns {name: bytes}.
async function loadFiles(manifestURL, files, cache, storage) {
  const total = files.reduce((s, f) => s + Math.max(f.size, 0), 0);
  let loaded = 0;
  let fromCache = 0;
  const progress = (file) => post({ type: 'progress', loaded, total, file, fromCache });
  const out = {};
  for (const f of files) {
    let bytes = null;
    if (cache) {
      const hit = await cache.match(cacheKey(f.sha256));
      if (hit) {
        const b = new Uint8Array(await hit.arrayBuffer());
        if ((await sha256(b)) === f.sha256) {
          bytes = b;
          fromCache++;
          loaded += b.length;
        } else {
          await cache.delete(cacheKey(f.sha256)); // damaged in storage: fetch again
        }
      }
    }
    if (!bytes) {
      const url = new URL(f.name, manifestURL).href;
      bytes = await fetchBytes(url, (n) => {
        loaded += n;
        progress(f.name);
      });
      const sum = await sha256(bytes);
      if (sum !== null && sum !== f.sha256) {
        throw new Error('shard ' + f.name + ' is corrupted: its sha256 is ' + sum + ', the manifest says ' + f.sha256);
      }
      if (cache) {
        try {
          await cache.put(cacheKey(f.sha256), new Response(bytes));
        } catch (e) {
          storage.persistent = false;
          storage.note = 'storage full or refused (' + e.name + ': ' + e.message + '): working from memory only';
        }
      }
    }
    out[f.name] = bytes;
    progress(f.name);
  }
  return { files: out, fromCache };
}

// --- WebGPU -------------------------------------------------------------------

// gpuDevice puts a device in globalThis.xlstmGPUDevice for the Go side, or
// says why there is none. Features and limits are requested here, in JS:
// cogentcore/webgpu cannot request them from Go-wasm.
async function gpuDevice() {
  if (!self.isSecureContext) return { noGPU: 'WebGPU needs a secure context (a page served from https or localhost)', gpu: '' };
  if (!self.navigator || !navigator.gpu) return { noGPU: 'WebGPU not available in this browser', gpu: '' };
  let adapter;
  try {
    adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { noGPU: 'WebGPU adapter request failed: ' + e.message, gpu: '' };
  }
  if (!adapter) return { noGPU: 'WebGPU is present but offers no adapter (no usable GPU)', gpu: '' };
  const features = [];
  if (adapter.features.has('shader-f16')) features.push('shader-f16');
  const l = adapter.limits;
  const requiredLimits = {
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
  };
  let device;
  try {
    device = await adapter.requestDevice({ requiredFeatures: features, requiredLimits });
  } catch (e) {
    return { noGPU: 'WebGPU device request failed: ' + e.message, gpu: '' };
  }
  self.xlstmGPUDevice = device;
  const info = adapter.info || {};
  const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
  return { noGPU: '', gpu: name || 'unnamed adapter' };
}

// --- IndexedDB ----------------------------------------------------------------

function openDB() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(DB_STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function dbDo(mode, fn) {
  const db = await openDB();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(DB_STORE, mode);
      const req = fn(tx.objectStore(DB_STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error('transaction aborted'));
    });
  } finally {
    db.close();
  }
}

const dbGet = (key) => dbDo('readonly', (s) => s.get(key));
const dbPut = (key, value) => dbDo('readwrite', (s) => s.put(value, key));

async function savedInfo() {
  try {
    const rec = await dbGet(modelKey);
    return rec ? { savedAt: rec.savedAt, bytes: rec.record.byteLength } : null;
  } catch (e) {
    return null;
  }
}

// --- messages from the page -------------------------------------------------

async function init(msg) {
  modelKey = new URL(msg.model, self.location.href).href;
  post({ type: 'status', text: 'starting the engine' });
  goReady = startGo();
  const go = await goReady;

  let gpu = { noGPU: '', gpu: '' };
  if (msg.backend !== 'cpu' && go.webgpu) {
    post({ type: 'status', text: 'asking for a WebGPU device' });
    gpu = await gpuDevice();
  }

  post({ type: 'status', text: 'fetching ' + modelKey });
  const manResp = await fetch(modelKey, { cache: 'no-store' });
  if (!manResp.ok) throw new Error('model manifest ' + modelKey + ': HTTP ' + manResp.status + ' ' + manResp.statusText);
  const manifest = new Uint8Array(await manResp.arrayBuffer());
  const listed = await callGo({ type: 'files', manifest });
  const files = JSON.parse(listed.data);

  const { cache, note } = await openCache();
  const storage = { persistent: !!cache, note };
  const got = await loadFiles(modelKey, files, cache, storage);
  got.files['manifest.json'] = manifest;

  post({ type: 'status', text: 'building the model' });
  const verified = !!(self.crypto && crypto.subtle); // else Go checks the hashes first
  const loaded = await callGo({ type: 'load', files: got.files, backend: msg.backend, noGPU: gpu.noGPU, gpu: gpu.gpu, verified });
  const info = JSON.parse(loaded.data);
  post({
    type: 'ready',
    info,
    storage,
    shards: { total: files.length, fromCache: got.fromCache },
    saved: await savedInfo(),
  });
}

async function generate(msg) {
  const req = {
    prompt: msg.prompt || '',
    continue: !!msg.continue,
    params: {
      Temperature: +msg.params.temperature,
      TopK: msg.params.topK | 0,
      TopP: +msg.params.topP,
      Seed: msg.params.seed | 0,
    },
    maxTokens: msg.maxTokens | 0,
    ignoreEOS: !!msg.ignoreEOS,
  };
  if (msg.tokens) req.tokens = msg.tokens;
  let text = '';
  const done = await callGo({ type: 'generate', request: JSON.stringify(req) }, (t) => {
    text += t.text;
    post({ type: 'token', token: t.token, text: t.text });
  });
  const stats = JSON.parse(done.data);
  convText = (req.continue ? convText : req.prompt) + text;
  post({ type: 'done', stats });
}

async function save() {
  const saved = await callGo({ type: 'save' });
  const rec = { record: saved.record, text: convText, model: modelKey, savedAt: new Date().toISOString() };
  try {
    await dbPut(modelKey, rec);
  } catch (e) {
    throw new Error('cannot store the conversation in IndexedDB (' + e.message + ')');
  }
  post({ type: 'saved', savedAt: rec.savedAt, bytes: rec.record.byteLength });
}

async function restore() {
  let rec;
  try {
    rec = await dbGet(modelKey);
  } catch (e) {
    throw new Error('cannot read IndexedDB (' + e.message + ')');
  }
  if (!rec) throw new Error('no saved conversation for this model');
  const r = await callGo({ type: 'restore', record: rec.record });
  convText = rec.text;
  post({ type: 'restored', text: rec.text, saved: JSON.parse(r.data), savedAt: rec.savedAt });
}

async function logits(msg) {
  const r = await callGo({ type: 'logits', tokens: JSON.stringify(msg.tokens) });
  post({ type: 'logits', logits: r.logits, vocab: r.vocab }, [r.logits.buffer]);
}

const handlers = { init, generate, save, restore, logits };

// Requests run one at a time, in order; stop goes straight to Go.
let chain = Promise.resolve();
self.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === 'stop') {
    if (goReady) goReady.then((go) => go.handle({ type: 'stop' }));
    return;
  }
  const h = handlers[msg.type];
  if (!h) {
    fail('unknown message type ' + JSON.stringify(msg.type), 'protocol');
    return;
  }
  chain = chain.then(() => h(msg)).catch((err) => fail(err.message || String(err), msg.type));
};
