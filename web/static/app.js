// The demo page: reads ?backend= and ?model=, starts the engine's Web Worker
// (worker.js) and shows what it reports. All model work happens in the
// worker, so the page stays responsive. Messages: web/PROTOCOL.md.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const el = {
    backend: $('backend'), progress: $('progress'), progressText: $('progress-text'),
    storage: $('storage'), error: $('error'), form: $('form'), prompt: $('prompt'),
    temperature: $('temperature'), topK: $('top-k'), topP: $('top-p'),
    maxTokens: $('max-tokens'), seed: $('seed'),
    generate: $('generate'), cont: $('continue'), stop: $('stop'), save: $('save'), restore: $('restore'),
    output: $('output'), outPrompt: $('out-prompt'), outText: $('out-text'), outTail: $('out-tail'),
    savedNote: $('saved-note'), stats: $('stats'),
  };

  const state = {
    ready: false, busy: false, hasConversation: false, hasSaved: false,
    info: null, ids: [], promptIds: [], last: null,
  };

  const fmtBytes = (n) => {
    if (n < 1024) return n + ' B';
    const u = ['KiB', 'MiB', 'GiB'];
    let i = -1;
    do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
    return n.toFixed(n < 10 ? 2 : 1) + ' ' + u[i];
  };
  const fmtCount = (n) => (n >= 1e9 ? (n / 1e9).toFixed(2) + ' B' : n >= 1e6 ? (n / 1e6).toFixed(2) + ' M' : n >= 1e3 ? (n / 1e3).toFixed(1) + ' k' : String(n));

  function showError(msg) {
    el.error.textContent = msg;
    el.error.hidden = false;
  }
  function clearError() {
    el.error.textContent = '';
    el.error.hidden = true;
  }

  function setButtons() {
    const idle = state.ready && !state.busy;
    el.generate.disabled = !idle;
    el.cont.disabled = !(idle && state.hasConversation);
    el.save.disabled = !(idle && state.hasConversation);
    el.restore.disabled = !(idle && state.hasSaved);
    el.stop.disabled = !state.busy;
  }

  function renderStats() {
    const rows = [];
    const add = (k, v) => rows.push([k, v]);
    const i = state.info;
    if (state.last) {
      const s = state.last;
      add('Time to first token', s.firstTokenMs ? s.firstTokenMs.toFixed(0) + ' ms' : '–');
      add('Speed', s.tokPerSec ? s.tokPerSec.toFixed(1) + ' tok/s' : '–');
      add('Tokens', s.tokens + (s.finish ? ' (' + s.finish + ')' : ''));
      add('Position', String(s.pos));
    }
    if (i) {
      add('Model', (i.family || 'xLSTM') + ', ' + i.blocks + ' blocks, ' + fmtCount(i.params) + ' params');
      add('Weights', i.dtype + ', ' + fmtBytes(i.storedBytes));
      add('State size', fmtBytes(i.stateBytes) + ' (constant)');
      add('Vocabulary', i.vocabSize + ' (' + i.tokenizer + ' tokenizer)');
    }
    el.stats.replaceChildren(...rows.map(([k, v]) => {
      const d = document.createElement('div');
      const dt = document.createElement('dt');
      const dd = document.createElement('dd');
      dt.textContent = k;
      dd.textContent = v;
      d.append(dt, dd);
      return d;
    }));
  }

  function setTokens() {
    el.output.dataset.tokens = state.ids.join(',');
    el.output.dataset.promptTokens = state.promptIds.join(',');
  }

  // --- query parameters ------------------------------------------------------
  const q = new URLSearchParams(location.search);
  const backend = q.get('backend') || 'auto';
  const model = q.get('model') || 'models/default/manifest.json';
  if (!['auto', 'cpu', 'webgpu'].includes(backend)) {
    el.backend.textContent = 'none';
    showError('?backend=' + backend + ' is not a backend: use cpu or webgpu (or leave it out to choose automatically)');
    el.progressText.textContent = '';
    return;
  }

  // --- the worker ------------------------------------------------------------
  let worker;
  try {
    worker = new Worker('worker.js');
  } catch (e) {
    showError('cannot start the Web Worker: ' + e.message);
    return;
  }
  const waiting = new Map(); // type -> resolve, for the test hook
  worker.onerror = (e) => showError('the engine worker failed: ' + (e.message || 'unknown error'));

  worker.onmessage = (e) => {
    const m = e.data;
    switch (m.type) {
      case 'status':
        el.progressText.textContent = m.text;
        break;
      case 'progress': {
        const pct = m.total ? Math.min(100, (100 * m.loaded) / m.total) : 0;
        el.progress.max = Math.max(m.total, 1);
        el.progress.value = Math.min(m.loaded, m.total);
        el.progressText.textContent = fmtBytes(m.loaded) + ' / ' + fmtBytes(m.total) + ' (' + pct.toFixed(0) + '%)' + (m.fromCache ? ', ' + m.fromCache + ' from cache' : '');
        break;
      }
      case 'ready': {
        state.ready = true;
        state.info = m.info;
        const label = m.info.backend === 'webgpu' ? 'WebGPU' : 'CPU (WASM)';
        el.backend.textContent = label + ': ' + m.info.reason;
        el.backend.dataset.backend = m.info.backend;
        el.progress.max = 1;
        el.progress.value = 1;
        el.progressText.textContent = 'ready: ' + fmtBytes(m.info.storedBytes) + (m.shards.fromCache ? ' (' + m.shards.fromCache + ' of ' + m.shards.total + ' files from this browser\u2019s cache)' : '');
        el.storage.textContent = m.storage.note;
        state.hasSaved = !!m.saved;
        if (m.saved) el.savedNote.textContent = 'A saved conversation from ' + new Date(m.saved.savedAt).toLocaleString() + ' can be restored.';
        document.body.dataset.ready = 'true';
        renderStats();
        setButtons();
        break;
      }
      case 'token':
        state.ids.push(m.token);
        el.outTail.textContent = '';
        el.outText.append(m.text);
        break;
      case 'done':
        state.busy = false;
        state.last = m.stats;
        // A stop inside the prompt leaves no conversation to continue or save.
        state.hasConversation = m.stats.tokens > 0;
        if (m.stats.promptTokens) state.promptIds = m.stats.promptTokens;
        el.outTail.textContent = m.stats.tail || '';
        setTokens();
        el.output.setAttribute('aria-busy', 'false');
        document.body.dataset.generating = 'false';
        renderStats();
        setButtons();
        break;
      case 'saved':
        state.busy = false;
        state.hasSaved = true;
        el.savedNote.textContent = 'Saved (' + fmtBytes(m.bytes) + ' of state) at ' + new Date(m.savedAt).toLocaleTimeString() + '. After a reload, Restore continues from here.';
        document.body.dataset.saved = m.savedAt;
        setButtons();
        break;
      case 'restored':
        state.busy = false;
        state.hasConversation = true;
        state.ids = m.saved.ids.slice();
        state.promptIds = m.saved.prompt.slice();
        el.outPrompt.textContent = '';
        el.outText.textContent = m.text;
        el.outTail.textContent = '';
        el.temperature.value = m.saved.params.Temperature;
        el.topK.value = m.saved.params.TopK;
        el.topP.value = m.saved.params.TopP;
        el.seed.value = m.saved.params.Seed;
        el.savedNote.textContent = 'Restored the conversation saved at ' + new Date(m.savedAt).toLocaleString() + ' (' + m.saved.pos + ' tokens of state). Continue goes on from here.';
        setTokens();
        document.body.dataset.restored = 'true';
        setButtons();
        break;
      case 'logits': {
        const r = waiting.get('logits');
        waiting.delete('logits');
        if (r) r.resolve(m);
        break;
      }
      case 'error': {
        state.busy = false;
        if (m.during === 'init') {
          el.backend.textContent = 'none (the model did not load)';
          el.progressText.textContent = 'failed';
        }
        if (m.during === 'generate' || m.during === 'engine') {
          el.output.setAttribute('aria-busy', 'false');
          document.body.dataset.generating = 'false';
        }
        showError(m.message);
        const r = waiting.get('logits');
        if (m.during === 'logits' && r) {
          waiting.delete('logits');
          r.reject(new Error(m.message));
        }
        setButtons();
        break;
      }
    }
  };

  worker.postMessage({ type: 'init', model, backend });

  // --- controls --------------------------------------------------------------
  function params() {
    return {
      temperature: parseFloat(el.temperature.value) || 0,
      topK: parseInt(el.topK.value, 10) || 0,
      topP: parseFloat(el.topP.value) || 0,
      seed: parseInt(el.seed.value, 10) || 0,
    };
  }

  function start(cont) {
    clearError();
    state.busy = true;
    state.last = null;
    if (!cont) {
      state.ids = [];
      state.promptIds = [];
      el.outPrompt.textContent = el.prompt.value;
      el.outText.textContent = '';
    }
    el.outTail.textContent = '';
    document.body.dataset.generating = 'true';
    // Screen readers announce the text once it is complete, not per token.
    el.output.setAttribute('aria-busy', 'true');
    setButtons();
    worker.postMessage({
      type: 'generate',
      prompt: el.prompt.value,
      continue: cont,
      params: params(),
      maxTokens: parseInt(el.maxTokens.value, 10) || 0,
    });
  }

  el.form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!el.generate.disabled) start(false);
  });
  // Ctrl/Cmd+Enter in the prompt generates.
  el.prompt.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !el.generate.disabled) {
      e.preventDefault();
      start(false);
    }
  });
  el.cont.addEventListener('click', () => start(true));
  el.stop.addEventListener('click', () => worker.postMessage({ type: 'stop' }));
  el.save.addEventListener('click', () => {
    clearError();
    state.busy = true;
    setButtons();
    worker.postMessage({ type: 'save' });
  });
  el.restore.addEventListener('click', () => {
    clearError();
    state.busy = true;
    setButtons();
    worker.postMessage({ type: 'restore' });
  });

  // Test hook: the logits after each prefix of tokens, from the loaded backend.
  window.xlstmTest = {
    logits(tokens) {
      return new Promise((resolve, reject) => {
        waiting.set('logits', { resolve, reject });
        worker.postMessage({ type: 'logits', tokens });
      }).then((m) => ({ vocab: m.vocab, logits: Array.from(m.logits) }));
    },
  };
})();
