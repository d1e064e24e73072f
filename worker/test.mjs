// make worker-test: runs the Worker under `wrangler dev` (local only, no
// metrics, no Cloudflare fetches) and checks it end to end: the page,
// bundle files, a streamed completion (SSE framing, [DONE], usage), a chat
// completion, an error, cancellation of a dropped stream, and that one Go
// instance served every request (the same /healthz instance id throughout).
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import path from "node:path";
import assert from "node:assert/strict";

const dir = path.dirname(fileURLToPath(import.meta.url));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on("error", reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitHealthy(base, ms) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const r = await fetch(base + "/healthz");
      if (r.ok) return await r.json();
      last = `status ${r.status}: ${await r.text()}`;
    } catch (e) { last = e.message; }
    await sleep(500);
  }
  throw new Error(`wrangler dev did not become healthy in ${ms} ms: ${last}`);
}

// sse parses a whole SSE body, checking every event is "data: ..." + blank line.
function sse(text) {
  assert.ok(text.endsWith("data: [DONE]\n\n"), "stream must end with data: [DONE]");
  const events = text.split("\n\n").slice(0, -1);
  return events.map((e) => {
    assert.ok(e.startsWith("data: ") && !e.includes("\n"), `bad SSE event ${JSON.stringify(e).slice(0, 80)}`);
    const d = e.slice(6);
    return d === "[DONE]" ? d : JSON.parse(d);
  });
}

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" };
const wrangler = spawn(path.join(dir, "node_modules/.bin/wrangler"),
  ["dev", "--ip", "127.0.0.1", "--port", String(port), "--local", "--show-interactive-dev-session=false", "--log-level", "warn"],
  { cwd: dir, env, stdio: ["ignore", "inherit", "inherit"], detached: true });
let failed = false;
try {
  const h0 = await waitHealthy(base, 180000);
  console.log("worker-test: healthy:", JSON.stringify(h0));
  let r = await fetch(base + "/");
  assert.equal(r.status, 200, "GET /");
  assert.match(await r.text(), /<html/i, "GET / is the page");

  r = await fetch(base + "/models/default/manifest.json");
  assert.equal(r.status, 200, "manifest");
  assert.ok(r.headers.get("etag"), "manifest ETag");
  const man = await r.json();
  const shard = man.shards[0].file;
  r = await fetch(`${base}/models/default/${shard}`, { headers: { Range: "bytes=0-15" } });
  assert.equal(r.status, 206, "shard range");
  assert.equal((await r.arrayBuffer()).byteLength, 16);
  assert.match(r.headers.get("cache-control"), /immutable/);

  const t0 = Date.now();
  r = await fetch(base + "/v1/completions", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: "default", prompt: "Hello", max_tokens: 24, temperature: 0, stream: true, stream_options: { include_usage: true } }),
  });
  assert.equal(r.status, 200, "streamed completion");
  assert.equal(r.headers.get("content-type"), "text/event-stream");
  const events = sse(await r.text());
  const chunks = events.filter((e) => e !== "[DONE]");
  const usage = chunks.at(-1).usage;
  assert.equal(usage.completion_tokens, 24, "usage chunk");
  assert.equal(chunks.at(-2).choices[0].finish_reason, "length");
  const text = chunks.map((c) => c.choices?.[0]?.text ?? "").join("");
  console.log(`worker-test: streamed completion: ${chunks.length} chunks, ${usage.completion_tokens} tokens in ${Date.now() - t0} ms, text ${JSON.stringify(text).slice(0, 60)}`);

  // The same request, not streamed, gives the same greedy text.
  const t1 = Date.now();
  r = await fetch(base + "/v1/completions", {
    method: "POST", body: JSON.stringify({ model: "default", prompt: "Hello", max_tokens: 24, temperature: 0 }),
  });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).choices[0].text, text, "streamed and whole text agree");
  console.log(`worker-test: the same completion not streamed: ${Date.now() - t1} ms`);

  r = await fetch(base + "/v1/chat/completions", {
    method: "POST", body: JSON.stringify({ messages: [{ role: "user", content: "Hi" }], max_tokens: 8 }),
  });
  assert.equal(r.status, 200, "chat");
  assert.equal((await r.json()).choices[0].message.role, "assistant");

  r = await fetch(base + "/v1/completions", { method: "POST", body: "{not json" });
  assert.equal(r.status, 400, "malformed JSON");
  assert.equal((await r.json()).error.code, "invalid_json");

  // A dropped stream is cancelled: in_flight returns to 0 long before 512 tokens.
  const ac = new AbortController();
  r = await fetch(base + "/v1/completions", {
    method: "POST", signal: ac.signal,
    body: JSON.stringify({ prompt: "Hello", max_tokens: 512, stream: true }),
  });
  const reader = r.body.getReader();
  await reader.read();
  ac.abort();
  let h;
  for (let i = 0; i < 600; i++) {
    h = await (await fetch(base + "/healthz")).json();
    if (h.in_flight === 0) break;
    await sleep(100);
  }
  assert.equal(h.in_flight, 0, "the dropped stream's generation ended");

  assert.equal(h.instance, h0.instance, "one Go instance served every request");
  assert.ok(h.requests >= 9, `the instance counted ${h.requests} requests`);
  console.log(`worker-test: ok: one Go instance (${h.instance}) served ${h.requests} requests`);
} catch (e) {
  failed = true;
  console.error("worker-test: FAIL:", e.message);
} finally {
  try { process.kill(-wrangler.pid, "SIGTERM"); } catch {}
}
process.exit(failed ? 1 : 0);
