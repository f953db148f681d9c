// grammY's Node build uses node-fetch v2, which drags in whatwg-url and tr46
// (~280 KiB minified) for URL parsing Node already has. The bundle uses Node's
// own fetch instead. grammY uploads files as a Node stream, which native fetch
// accepts only with `duplex: "half"`.
function fetchShim(url, init) {
  const streamed = typeof init?.body?.pipe === "function";
  return globalThis.fetch(url, streamed ? { ...init, duplex: "half" } : init);
}
module.exports = fetchShim;
module.exports.default = fetchShim;
