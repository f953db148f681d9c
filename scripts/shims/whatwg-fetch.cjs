// ollama-js imports the `whatwg-fetch` polyfill, which installs a fetch only
// where there is none. Node ≥ 18 has one (and the bot passes its own), so the
// bundle carries nothing for it.
module.exports = {};
