// A minimal safetensors reader for the tests' reference data (F32, F64, I64).
import fs from 'node:fs';

const kinds = { F32: Float32Array, F64: Float64Array, I64: BigInt64Array };

// readSafetensors returns {name: {shape, data}} for a file.
export function readSafetensors(file) {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  if (n > buf.length - 8) throw new Error(`${file}: header of ${n} bytes is past the end`);
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const out = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const K = kinds[t.dtype];
    if (!K) throw new Error(`${file}: ${name}: dtype ${t.dtype} not handled`);
    const [b, e] = t.data_offsets;
    const bytes = buf.subarray(8 + n + b, 8 + n + e);
    const copy = new Uint8Array(bytes); // aligned copy
    out[name] = { shape: t.shape, data: new K(copy.buffer, 0, copy.length / K.BYTES_PER_ELEMENT) };
  }
  return out;
}
