// The Worker's entry: one Go instance per isolate. syumai/workers' own
// worker.mjs instantiates the module on every request; here the first
// request fetches the model bundle from the static assets and starts Go
// (build/app.wasm is compiled once, at upload), later requests await the
// same instance, and internal/cfworker's handleRequest serves them all. If
// the Go program ever exits, the next request starts a new one.
import "./build/wasm_exec.js"; // syumai/workers' wasm_exec: go.run(instance, context)
import mod from "./build/app.wasm";

let binding; // Promise of the Go side's binding object, per isolate

// loadBundle fetches the default model's files (manifest.json and the
// files it names) from the static assets, once per isolate.
async function loadBundle(env) {
  const get = async (name) => {
    const r = await env.ASSETS.fetch(new Request(`https://assets.invalid/models/default/${name}`));
    if (!r.ok) throw new Error(`model bundle file ${name}: status ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  };
  const manifest = await get("manifest.json");
  const man = JSON.parse(new TextDecoder().decode(manifest));
  const files = { "manifest.json": manifest };
  const names = man.shards.map((s) => s.file);
  if (man.tokenizer && man.tokenizer.file) names.push(man.tokenizer.file);
  for (const name of names) files[name] = await get(name);
  return files;
}

async function start(env) {
  const bundle = await loadBundle(env);
  const b = {};
  const go = new Go();
  let ready;
  const readyP = new Promise((resolve) => { ready = resolve; });
  const instance = new WebAssembly.Instance(mod, {
    ...go.importObject,
    workers: { ready: () => ready() },
  });
  const exited = go.run(instance, { env, ctx: undefined, binding: b, bundle });
  exited.finally(() => { binding = undefined; });
  return Promise.race([
    readyP.then(() => b),
    exited.then(() => { throw new Error("the Go program exited during start-up"); }),
  ]);
}

export default {
  async fetch(req, env) {
    if (binding === undefined) {
      binding = start(env).catch((e) => { binding = undefined; throw e; });
    }
    const b = await binding;
    const body = req.body === null ? null : new Uint8Array(await req.arrayBuffer());
    return b.handleRequest(req, body);
  },
};
