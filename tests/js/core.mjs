// Drives the sandbox with Cybozu's official @kintone/rest-api-client, unchanged: creates and deploys an app,
// writes and reads records the ways real integrations do, and checks the error codes the client surfaces.
// Usage: node core.mjs  (env: SANDBOX_URL, SANDBOX_USER, SANDBOX_PASSWORD, SANDBOX_TOKEN_APP1)
// Prints one line per step to stderr and a JSON summary to stdout; exits non-zero on the first failure.
import assert from "node:assert/strict";
import { KintoneRestAPIClient, KintoneRestAPIError } from "@kintone/rest-api-client";

const baseUrl = process.env.SANDBOX_URL;
const client = new KintoneRestAPIClient({
  baseUrl,
  auth: { username: process.env.SANDBOX_USER, password: process.env.SANDBOX_PASSWORD },
});
const summary = {};

async function step(name, fn) {
  try {
    summary[name] = (await fn()) ?? true;
    console.error(`ok ${name}`);
  } catch (e) {
    console.error(`FAILED ${name}: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  }
}

async function expectKintoneError(promise, status, code) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof KintoneRestAPIError, `expected KintoneRestAPIError, got ${e}`);
    assert.equal(e.status, status, `status for ${code}`);
    assert.equal(e.code, code);
    assert.ok(e.id, "error id present");
    return e;
  }
  assert.fail(`expected ${status} ${code}, but the call succeeded`);
}

let app;
await step("create and deploy an app", async () => {
  const created = await client.app.addApp({ name: "JS compat" });
  app = created.app;
  await client.app.addFormFields({
    app,
    properties: {
      title: { type: "SINGLE_LINE_TEXT", code: "title", label: "Title", required: true, unique: true },
      amount: { type: "NUMBER", code: "amount", label: "Amount" },
      stage: {
        type: "DROP_DOWN",
        code: "stage",
        label: "Stage",
        options: { Lead: { label: "Lead", index: "0" }, Won: { label: "Won", index: "1" } },
      },
      due: { type: "DATE", code: "due", label: "Due" },
      items: {
        type: "SUBTABLE",
        code: "items",
        label: "Items",
        fields: {
          product: { type: "SINGLE_LINE_TEXT", code: "product", label: "Product" },
          qty: { type: "NUMBER", code: "qty", label: "Qty" },
        },
      },
    },
  });
  // Not deployed yet: the live form does not have the field.
  const before = await client.app.getFormFields({ app });
  assert.equal(before.properties.title, undefined);
  await client.app.deployApp({ apps: [{ app }] });
  for (let i = 0; i < 50; i++) {
    const { apps } = await client.app.getDeployStatus({ apps: [app] });
    if (apps[0].status === "SUCCESS") break;
    assert.notEqual(apps[0].status, "FAIL");
    await new Promise((r) => setTimeout(r, 50));
  }
  const after = await client.app.getFormFields({ app });
  assert.equal(after.properties.title.type, "SINGLE_LINE_TEXT");
  assert.equal(after.properties.items.fields.qty.type, "NUMBER");
  return { app: String(app) };
});

await step("addRecords in batches of 100", async () => {
  for (let start = 0; start < 250; start += 100) {
    const records = [];
    for (let i = start; i < Math.min(start + 100, 250); i++) {
      records.push({
        title: { value: `rec-${String(i).padStart(3, "0")}` },
        amount: { value: String(i * 10) },
        stage: { value: i % 2 ? "Won" : "Lead" },
        items: { value: [{ value: { product: { value: `p${i}` }, qty: { value: i % 5 } } }] },
      });
    }
    const res = await client.record.addRecords({ app, records });
    assert.equal(res.ids.length, records.length);
  }
});

await step("getRecords with a query and totalCount", async () => {
  const res = await client.record.getRecords({
    app,
    query: 'amount >= 1000 and stage in ("Won") order by amount desc limit 5',
    totalCount: true,
  });
  assert.equal(res.records.length, 5);
  assert.equal(res.records[0].amount.value, "2490");
  assert.equal(res.totalCount, "75");
});

await step("getAllRecords without orderBy ($id paging)", async () => {
  const all = await client.record.getAllRecords({ app, condition: 'stage in ("Lead")' });
  assert.equal(all.length, 125);
});

await step("getAllRecords with orderBy (offset paging)", async () => {
  const all = await client.record.getAllRecords({ app, orderBy: "amount asc", withCursor: false });
  assert.equal(all.length, 250);
  assert.equal(all[0].amount.value, "0");
  assert.equal(all[249].amount.value, "2490");
});

await step("subtable condition", async () => {
  const res = await client.record.getRecords({ app, query: 'qty in ("4") and product like "p1"', totalCount: true });
  // rows with qty 4 are i % 5 == 4; those whose product contains "p1": i in {14, 19, 104, 109, ...}
  assert.ok(Number(res.totalCount) > 0);
  for (const r of res.records) {
    assert.equal(r.items.value[0].value.qty.value, "4");
    assert.ok(r.items.value[0].value.product.value.includes("p1"));
  }
});

await step("update by id with a revision, then a stale revision is 409 GAIA_CO02", async () => {
  const { records } = await client.record.getRecords({ app, query: 'title = "rec-007"' });
  const id = records[0].$id.value;
  const rev = records[0].$revision.value;
  const res = await client.record.updateRecord({ app, id, revision: rev, record: { amount: { value: 7777 } } });
  assert.equal(res.revision, String(Number(rev) + 1));
  await expectKintoneError(
    client.record.updateRecord({ app, id, revision: rev, record: { amount: { value: 1 } } }),
    409,
    "GAIA_CO02",
  );
});

await step("update by updateKey and upsert", async () => {
  await client.record.updateRecord({
    app,
    updateKey: { field: "title", value: "rec-008" },
    record: { amount: { value: "8888" } },
  });
  const got = await client.record.getRecords({ app, query: 'title = "rec-008"' });
  assert.equal(got.records[0].amount.value, "8888");
  const up = await client.record.updateRecords({
    app,
    upsert: true,
    records: [
      { updateKey: { field: "title", value: "rec-009" }, record: { amount: { value: "9" } } },
      { updateKey: { field: "title", value: "brand-new" }, record: { amount: { value: "1" } } },
    ],
  });
  assert.deepEqual(
    up.records.map((r) => r.operation),
    ["UPDATE", "INSERT"],
  );
});

await step("upsert by record id: updates an existing record, adds a missing one with a new id", async () => {
  const existing = await client.record.getRecords({ app, query: 'title = "rec-007"' });
  const id = existing.records[0].$id.value;
  const up = await client.record.updateRecords({
    app,
    upsert: true,
    records: [
      { id, record: { amount: { value: "77" } } },
      { id: 999999, record: { title: { value: "added-by-id" }, amount: { value: "3" } } },
    ],
  });
  assert.deepEqual(up.records.map((r) => r.operation), ["UPDATE", "INSERT"]);
  assert.equal(up.records[0].id, id);
  assert.notEqual(up.records[1].id, "999999");
  const added = await client.record.getRecord({ app, id: up.records[1].id });
  assert.equal(added.record.title.value, "added-by-id");
  assert.equal((await client.record.getRecord({ app, id })).record.amount.value, "77");
});

await step('boolean field attributes take "true"/"false" and read back as booleans', async () => {
  const created = await client.app.addApp({ name: "JS strings" });
  await client.app.addFormFields({
    app: created.app,
    properties: {
      code: { type: "SINGLE_LINE_TEXT", code: "code", label: "Code", required: "false", unique: "true" },
      when: { type: "DATE", code: "when", label: "When", defaultNowValue: "false" },
    },
  });
  const { properties } = await client.app.getFormFields({ app: created.app, preview: true });
  assert.equal(properties.code.required, false);
  assert.equal(properties.code.unique, true);
  assert.equal(properties.when.defaultNowValue, false);
});

await step("validation errors are CB_VA01 with field keys", async () => {
  const e = await expectKintoneError(client.record.addRecord({ app, record: { amount: { value: "x" } } }), 400, "CB_VA01");
  assert.ok(e.errors["record.title.value"], JSON.stringify(e.errors));
  const dup = await expectKintoneError(
    client.record.addRecord({ app, record: { title: { value: "rec-001" } } }),
    400,
    "CB_VA01",
  );
  assert.ok(dup.errors["record.title.value"]);
});

await step("unknown record is 404 GAIA_RE01; unknown app is 404 GAIA_AP01", async () => {
  await expectKintoneError(client.record.getRecord({ app, id: 999999 }), 404, "GAIA_RE01");
  await expectKintoneError(client.app.getApp({ id: 999999 }), 404, "GAIA_AP01");
});

await step("query errors", async () => {
  await expectKintoneError(client.record.getRecords({ app, query: "nosuch = 1" }), 400, "GAIA_IQ11");
  await expectKintoneError(client.record.getRecords({ app, query: 'title like' }), 400, "CB_VA01");
  await expectKintoneError(client.record.getRecords({ app, query: "limit 501" }), 400, "GAIA_QU01");
});

await step("deleteRecords", async () => {
  const { records } = await client.record.getRecords({ app, query: 'title = "brand-new"' });
  await client.record.deleteRecords({ app, ids: [records[0].$id.value] });
  const again = await client.record.getRecords({ app, query: 'title = "brand-new"', totalCount: true });
  assert.equal(again.totalCount, "0");
});

await step("apps, layout, views and process management of the demo apps", async () => {
  const { apps } = await client.app.getApps({ codes: ["DEALS"] });
  assert.equal(apps.length, 1);
  assert.equal(apps[0].name.length > 0, true);
  const layout = await client.app.getFormLayout({ app: apps[0].appId });
  assert.ok(Array.isArray(layout.layout));
  const views = await client.app.getViews({ app: apps[0].appId });
  assert.equal(typeof views.views, "object");
  const tickets = (await client.app.getApps({ codes: ["TICKETS"] })).apps[0];
  const pm = await client.app.getProcessManagement({ app: tickets.appId });
  assert.equal(pm.enable, true);
  assert.ok(pm.actions.length > 0);
});

await step("long query is sent as POST with X-HTTP-Method-Override", async () => {
  const titles = Array.from({ length: 400 }, (_, i) => `"rec-${String(i).padStart(3, "0")}"`).join(", ");
  const res = await client.record.getRecords({ app, query: `title in (${titles}) limit 500`, totalCount: true });
  assert.equal(res.totalCount, "250");
});

await step("an API token cannot list apps (403 GAIA_NO01)", async () => {
  const tokenClient = new KintoneRestAPIClient({ baseUrl, auth: { apiToken: process.env.SANDBOX_TOKEN_APP1 } });
  await expectKintoneError(tokenClient.app.getApps({}), 403, "GAIA_NO01");
  const one = await tokenClient.app.getApp({ id: 1 });
  assert.equal(String(one.appId), "1");
});

await step("wrong password is 401 CB_WA01", async () => {
  const bad = new KintoneRestAPIClient({ baseUrl, auth: { username: process.env.SANDBOX_USER, password: "wrong" } });
  await expectKintoneError(bad.app.getApp({ id: 1 }), 401, "CB_WA01");
});

console.log(JSON.stringify(summary));
