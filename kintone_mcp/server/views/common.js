// What both views share: the host bridge and a few DOM helpers. Included into each view's page by views/pages.py.
// The bridge is MCP Apps' (ext-apps spec, "Communication Protocol"): JSON-RPC 2.0 over postMessage with the host,
// which forwards tools/call to this server. Nothing here fetches anything: every byte comes through the host.
const bridge = (() => {
  let seq = 0;
  const waiting = new Map(), handlers = {};
  const post = (m) => parent.postMessage(Object.assign({ jsonrpc: "2.0" }, m), "*");
  addEventListener("message", (e) => {
    const m = e.data;
    if (e.source !== parent || !m || m.jsonrpc !== "2.0") return;
    if (m.method) {
      // The host's requests (ping, ui/resource-teardown) need only an answer: a view keeps no unsaved state.
      if (m.id !== undefined) post({ id: m.id, result: {} });
      if (handlers[m.method]) handlers[m.method](m.params || {});
    } else if (waiting.has(m.id)) {
      const [ok, fail] = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error) fail(new Error(m.error.message || "the host refused the request"));
      else ok(m.result || {});
    }
  });
  const request = (method, params) =>
    new Promise((ok, fail) => {
      waiting.set(++seq, [ok, fail]);
      post({ id: seq, method, params });
    });
  const textOf = (r) => ((r.content || []).find((c) => c.type === "text") || {}).text || "";
  // A tool's answer as data; a refusal (isError) becomes an Error carrying the tool's own text, which says the fix.
  const result = (r) => {
    if (r.isError) throw new Error(textOf(r) || "the tool failed");
    return r.structuredContent || JSON.parse(textOf(r));
  };
  const theme = (c) => {
    const root = document.documentElement.style, vars = (c && c.styles && c.styles.variables) || {};
    if (c && c.theme) root.colorScheme = c.theme;
    for (const k in vars) if (vars[k]) root.setProperty(k, vars[k]);
  };
  return {
    on: (method, fn) => (handlers[method] = fn),
    result,
    call: async (name, args) => result(await request("tools/call", { name, arguments: args })),
    async start(name) {
      const init = await request("ui/initialize", {
        appInfo: { name, version: "1" },
        appCapabilities: {},
        protocolVersion: "2026-01-26",
      });
      theme(init.hostContext);
      handlers["ui/notifications/host-context-changed"] = theme;
      post({ method: "ui/notifications/initialized", params: {} });
      // Hosts with a flexible frame height size it to what the view reports.
      new ResizeObserver(() => {
        const box = document.documentElement.getBoundingClientRect();
        post({ method: "ui/notifications/size-changed", params: { width: Math.ceil(box.width), height: Math.ceil(box.height) } });
      }).observe(document.body);
    },
  };
})();

function el(tag, props, ...kids) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const kid of kids) if (kid != null) node.append(kid);
  return node;
}

// One value of the compact record form, as text: user codes by name, a table by its row count, files by name.
function shown(v, names) {
  if (v == null) return "";
  if (Array.isArray(v)) {
    if (v.length && v[0] && typeof v[0] === "object" && "$id" in v[0]) return v.length + (v.length > 1 ? " rows" : " row");
    return v.map((x) => shown(x, names)).join(", ");
  }
  if (typeof v === "object") return v.name || JSON.stringify(v);
  return names && names[v] ? names[v] : String(v);
}

function say(text, error) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.className = error ? "error" : "";
}
