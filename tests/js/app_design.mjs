// The official @kintone/rest-api-client, unchanged, reads an app that kintone-mcp's apps tools built, and prints
// what it sees as one JSON line on stdout for the Python test to compare with what the tools said; then it changes
// the app's customization and permissions-free settings the way cli-kintone-like tools do (customize GET/PUT).
// Usage: node app_design.mjs  (env: SANDBOX_URL, SANDBOX_USER, SANDBOX_PASSWORD, APP_ID)
import { KintoneRestAPIClient } from "@kintone/rest-api-client";

const client = new KintoneRestAPIClient({
  baseUrl: process.env.SANDBOX_URL,
  auth: { username: process.env.SANDBOX_USER, password: process.env.SANDBOX_PASSWORD },
});
const app = process.env.APP_ID;

const { properties } = await client.app.getFormFields({ app });
const { layout } = await client.app.getFormLayout({ app });
const { views } = await client.app.getViews({ app });
const process_ = await client.app.getProcessManagement({ app });
const acl = await client.app.getAppAcl({ app });
const customize = await client.app.getAppCustomize({ app });
await client.app.updateAppCustomize({ app, desktop: { js: [{ type: "URL", url: "https://cdn.example.com/a.js" }] } });
const pending = await client.app.getAppCustomize({ app, preview: true });

const rows = layout.map((item) =>
  item.type === "ROW"
    ? item.fields.map((f) => f.code ?? f.type)
    : { [item.type]: item.code, fields: (item.fields ?? item.layout ?? []).map((f) => f.code ?? f.type) },
);
console.log(JSON.stringify({
  fields: Object.fromEntries(Object.entries(properties).map(([code, p]) => [code, p.type])),
  expression: properties.total?.expression,
  lookupApp: properties.customer?.lookup?.relatedApp?.app,
  rows,
  views: Object.fromEntries(Object.values(views).map((v) => [v.name, { fields: v.fields, sort: v.sort, filter: v.filterCond }])),
  process: { enable: process_.enable, states: Object.keys(process_.states ?? {}), actions: (process_.actions ?? []).map((a) => [a.name, a.from, a.to]) },
  acl: acl.rights.map((r) => r.entity.type),
  customizeScope: customize.scope,
  pendingJs: pending.desktop.js.map((j) => j.url),
}));
