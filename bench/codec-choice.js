// Compares compression codecs for cached MCP results: size and encode and decode time.
// Run: node bench/codec-choice.js. The documents are synthetic (a tools/list result and a
// text search result), so the ratios are optimistic; the relative speeds are what matter.
const zlib = require('node:zlib');

const ITERATIONS = 2000;

const toolsList = {
  tools: Array.from({ length: 40 }, (_, index) => ({
    name: `tool-${index}`,
    description: `Searches the documentation index for pages about topic ${index} and returns ranked excerpts with links.`,
    inputSchema: { type: 'object', properties: { query: { type: 'string' }, limit: { type: 'number' } }, required: ['query'] },
    annotations: { readOnlyHint: true },
  })),
};
const searchResult = {
  content: [{ type: 'text', text: Array.from({ length: 80 }, (_, index) => `Result ${index}: response streaming sends partial responses as they become available.`).join('\n') }],
};

const codecs = {
  'gzip level 1': [(buffer) => zlib.gzipSync(buffer, { level: 1 }), zlib.gunzipSync],
  'gzip level 6': [(buffer) => zlib.gzipSync(buffer, { level: 6 }), zlib.gunzipSync],
  'brotli quality 1': [(buffer) => zlib.brotliCompressSync(buffer, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } }), zlib.brotliDecompressSync],
  'brotli quality 4': [(buffer) => zlib.brotliCompressSync(buffer, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }), zlib.brotliDecompressSync],
};

function microsecondsPerCall(call) {
  const startedAt = process.hrtime.bigint();
  for (let index = 0; index < ITERATIONS; index += 1) call();
  return Number(process.hrtime.bigint() - startedAt) / ITERATIONS / 1000;
}

for (const [documentName, document] of Object.entries({ toolsList, searchResult })) {
  const raw = Buffer.from(JSON.stringify(document));
  console.log(`${documentName}: ${raw.length} bytes of JSON`);
  for (const [codecName, [encode, decode]] of Object.entries(codecs)) {
    const packed = encode(raw);
    const encodeUs = microsecondsPerCall(() => encode(raw));
    const decodeUs = microsecondsPerCall(() => decode(packed));
    console.log(`  ${codecName.padEnd(17)} ${String(packed.length).padStart(6)} bytes  encode ${encodeUs.toFixed(1)} µs  decode ${decodeUs.toFixed(1)} µs`);
  }
}
