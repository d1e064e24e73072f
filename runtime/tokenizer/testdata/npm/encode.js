// Encodes texts with the reference tokenizers for the Go tests. Reads a JSON
// request on stdin:
//
//   {"tokenizers": {"name": "path/to/tokenizer.json", ...},
//    "texts": ["<base64 of the text's bytes>", ...],
//    "gpt3": true}
//
// and writes {"hf": {"name": {"ids": [[...], ...], "decoded": ["...", ...]}},
// "gpt3": [[...], ...]} to stdout. Bytes become text with WHATWG's UTF-8
// decoder (each ill-formed subpart is one U+FFFD). "hf" holds the ids of
// Hugging Face tokenizers' encode (special tokens added) and its decode of
// them (special tokens kept); "gpt3" the ids of gpt-3-encoder, with the text
// first cut at <|endoftext|>, which becomes id 50256 (gpt-3-encoder itself
// knows no special tokens).
'use strict';
const tk = require('tokenizers');
const gpt3 = require('gpt-3-encoder');

async function main() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const req = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const utf8 = new TextDecoder('utf-8', { ignoreBOM: true }); // keep a leading U+FEFF
  const texts = req.texts.map((b) => utf8.decode(Buffer.from(b, 'base64')));
  const res = { hf: {} };
  for (const [name, file] of Object.entries(req.tokenizers || {})) {
    const tok = tk.Tokenizer.fromFile(file);
    const ids = [];
    const decoded = [];
    for (const t of texts) {
      const enc = await tok.encode(t, null, { addSpecialTokens: true });
      const x = enc.getIds();
      ids.push(x);
      decoded.push(await tok.decode(x, false));
    }
    res.hf[name] = { ids, decoded };
  }
  if (req.gpt3) {
    const EOT = '<|endoftext|>';
    res.gpt3 = texts.map((t) => {
      const out = [];
      t.split(EOT).forEach((part, i) => {
        if (i > 0) out.push(50256);
        if (part !== '') out.push(...gpt3.encode(part));
      });
      return out;
    });
  }
  process.stdout.write(JSON.stringify(res));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
