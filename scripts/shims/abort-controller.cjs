// grammY's Node build imports the `abort-controller` polyfill and hands its
// signal to node-fetch, which recognises a signal by its class name. Minified,
// the polyfill's class loses that name and every Telegram call fails with
// "Expected signal to be an instanceof AbortSignal". Node ≥ 16 has the real
// thing, so the bundle uses it.
module.exports = globalThis.AbortController;
module.exports.AbortController = globalThis.AbortController;
module.exports.AbortSignal = globalThis.AbortSignal;
module.exports.default = globalThis.AbortController;
