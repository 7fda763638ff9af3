// The official @kintone/rest-api-client, unchanged, against the sandbox's cursor, bulkRequest, file, comment and
// process-management endpoints: the helpers real integrations use (getAllRecordsWithCursor, addAllRecords,
// updateAllRecords, deleteAllRecords, uploadFile/downloadFile, comments, status updates).
// Usage: node breadth.mjs  (env: SANDBOX_URL, SANDBOX_USER, SANDBOX_PASSWORD)
import assert from "node:assert/strict";
import { KintoneRestAPIClient, KintoneRestAPIError, KintoneAllRecordsError } from "@kintone/rest-api-client";

const baseUrl = process.env.SANDBOX_URL;
const auth = (username) => ({ username, password: process.env.SANDBOX_PASSWORD });
const admin = new KintoneRestAPIClient({ baseUrl, auth: auth(process.env.SANDBOX_USER) });
const summary = {};

async function step(name, fn) {
  try {
    summary[name] = (await fn()) ?? true;
    console.error(`ok ${name}`);
  } catch (e) {
    console.error(`FAILED ${name}: ${e && e.stack ? e.stack : e}`);
    if (e && e.errors) console.error(JSON.stringify(e.errors));
    process.exit(1);
  }
}

let app;
await step("create an app for bulk work", async () => {
  app = (await admin.app.addApp({ name: "JS bulk" })).app;
  await admin.app.addFormFields({
    app,
    properties: {
      title: { type: "SINGLE_LINE_TEXT", code: "title", label: "Title", unique: true },
      n: { type: "NUMBER", code: "n", label: "N" },
      attachment: { type: "FILE", code: "attachment", label: "Attachment" },
    },
  });
  await admin.app.deployApp({ apps: [{ app }] });
  for (let i = 0; i < 50; i++) {
    const { apps } = await admin.app.getDeployStatus({ apps: [app] });
    if (apps[0].status === "SUCCESS") break;
    await new Promise((r) => setTimeout(r, 50));
  }
});

await step("addAllRecords: 2,500 records through bulkRequest", async () => {
  const records = Array.from({ length: 2500 }, (_, i) => ({ title: { value: `t${i}` }, n: { value: i } }));
  const res = await admin.record.addAllRecords({ app, records });
  assert.equal(res.records.length, 2500);
  const { totalCount } = await admin.record.getRecords({ app, totalCount: true, query: "limit 1" });
  assert.equal(totalCount, "2500");
});

await step("getAllRecordsWithCursor (and getAllRecords with orderBy, which uses the cursor)", async () => {
  const all = await admin.record.getAllRecordsWithCursor({ app, query: "n >= 100 order by n asc", size: 500 });
  assert.equal(all.length, 2400);
  assert.equal(all[0].n.value, "100");
  assert.equal(all[2399].n.value, "2499");
  const ordered = await admin.record.getAllRecords({ app, condition: "n < 50", orderBy: "n desc" });
  assert.equal(ordered.length, 50);
  assert.equal(ordered[0].n.value, "49");
});

await step("cursor API directly: create, page, delete; a limit in the query is refused", async () => {
  const { id, totalCount } = await admin.record.createCursor({ app, size: 10, query: "n < 25" });
  assert.equal(totalCount, "25");
  const page = await admin.record.getRecordsByCursor({ id });
  assert.equal(page.records.length, 10);
  assert.equal(page.next, true);
  await admin.record.deleteCursor({ id });
  await assert.rejects(admin.record.getRecordsByCursor({ id }), KintoneRestAPIError);
  await assert.rejects(admin.record.createCursor({ app, query: "limit 5" }), KintoneRestAPIError);
});

await step("updateAllRecords through bulkRequest", async () => {
  const { records } = await admin.record.getRecords({ app, query: "n < 300 order by n asc limit 300" });
  const updates = records.map((r) => ({ id: r.$id.value, record: { n: { value: Number(r.n.value) + 10000 } } }));
  const res = await admin.record.updateAllRecords({ app, records: updates });
  assert.equal(res.records.length, 300);
  const { totalCount } = await admin.record.getRecords({ app, query: "n >= 10000", totalCount: true });
  assert.equal(totalCount, "300");
});

await step("bulk atomicity: a failing chunk reports where it failed and the failing transaction is rolled back", async () => {
  // 150 records: the 2nd chunk holds a duplicate of a unique value, so the one bulkRequest (2 chunks) fails whole.
  const records = Array.from({ length: 150 }, (_, i) => ({ title: { value: i === 120 ? "t0" : `new${i}` } }));
  try {
    await admin.record.addAllRecords({ app, records });
    assert.fail("expected a failure");
  } catch (e) {
    assert.ok(e instanceof KintoneAllRecordsError, `got ${e}`);
    assert.equal(e.numOfProcessedRecords, 0);
    assert.equal(e.error.code, "CB_VA01");
  }
  const { totalCount } = await admin.record.getRecords({ app, query: 'title like "new"', totalCount: true });
  assert.equal(totalCount, "0");
});

await step("deleteAllRecords through bulkRequest", async () => {
  const ids = (await admin.record.getAllRecordsWithCursor({ app, query: "n >= 2000 and n < 10000", fields: ["$id"] })).map(
    (r) => ({ id: r.$id.value }),
  );
  assert.equal(ids.length, 500);
  await admin.record.deleteAllRecords({ app, records: ids });
  const { totalCount } = await admin.record.getRecords({ app, query: "n >= 2000 and n < 10000", totalCount: true });
  assert.equal(totalCount, "0");
});

await step("files: upload, attach, download the same bytes", async () => {
  const text = "hello, 世界\n".repeat(100);
  const { fileKey } = await admin.file.uploadFile({ file: { name: "greeting 日本.txt", data: text } });
  const { id } = await admin.record.addRecord({ app, record: { title: { value: "with file" }, attachment: { value: [{ fileKey }] } } });
  const { record } = await admin.record.getRecord({ app, id });
  const [file] = record.attachment.value;
  assert.equal(file.name, "greeting 日本.txt");
  assert.equal(file.size, String(Buffer.byteLength(text)));
  assert.notEqual(file.fileKey, fileKey);
  const data = await admin.file.downloadFile({ fileKey: file.fileKey });
  assert.equal(Buffer.from(data).toString("utf8"), text);
  await assert.rejects(admin.file.downloadFile({ fileKey: "nosuchkey" }), KintoneRestAPIError);
});

await step("comments: add with a mention, list, delete", async () => {
  const { records } = await admin.record.getRecords({ app, query: 'title = "with file"' });
  const record = records[0].$id.value;
  const ids = [];
  for (let i = 0; i < 12; i++) {
    const { id } = await admin.record.addRecordComment({
      app,
      record,
      comment: { text: `comment ${i}`, mentions: i === 0 ? [{ code: "sato", type: "USER" }] : [] },
    });
    ids.push(id);
  }
  const page = await admin.record.getRecordComments({ app, record, order: "asc", limit: 10 });
  assert.equal(page.comments.length, 10);
  assert.equal(page.older, false);
  assert.equal(page.newer, true);
  assert.ok(page.comments[0].text.startsWith("comment 0"));
  assert.deepEqual(page.comments[0].mentions, [{ code: "sato", type: "USER" }]);
  await admin.record.deleteRecordComment({ app, record, comment: ids[0] });
  const after = await admin.record.getRecordComments({ app, record, order: "asc" });
  assert.ok(after.comments[0].text.startsWith("comment 1"));
});

await step("process management: assignees, actions, revision +2, wrong action refused", async () => {
  const tickets = (await admin.app.getApps({ codes: ["TICKETS"] })).apps[0].appId;
  const { id } = await admin.record.addRecord({
    app: tickets,
    record: { subject: { value: "Printer on fire" }, assigned_to: { value: [{ code: "tanaka" }] } },
  });
  let { record } = await admin.record.getRecord({ app: tickets, id });
  assert.equal(record.Status.value, "Open");
  const set = await admin.record.updateRecordAssignees({ app: tickets, id, assignees: ["suzuki"] });
  assert.equal(set.revision, String(Number(record.$revision.value) + 1));
  const suzuki = new KintoneRestAPIClient({ baseUrl, auth: auth("suzuki") });
  const started = await suzuki.record.updateRecordStatus({
    app: tickets,
    id,
    action: "Start work",
    assignee: "tanaka",
    revision: set.revision,
  });
  assert.equal(started.revision, String(Number(set.revision) + 2));
  ({ record } = await admin.record.getRecord({ app: tickets, id }));
  assert.equal(record.Status.value, "In progress");
  assert.deepEqual(record.Assignee.value.map((u) => u.code), ["tanaka"]);
  await assert.rejects(
    suzuki.record.updateRecordStatus({ app: tickets, id, action: "Close" }),
    (e) => e instanceof KintoneRestAPIError && e.status === 400,
  );
  const tanaka = new KintoneRestAPIClient({ baseUrl, auth: auth("tanaka") });
  const res = await tanaka.record.updateRecordsStatus({
    app: tickets,
    records: [{ id, action: "Resolve", assignee: "Administrator" }],
  });
  assert.equal(res.records[0].id, String(id));
  const resolved = await admin.record.getRecords({ app: tickets, query: `Status = "Resolved" and $id = ${id}` });
  assert.equal(resolved.records.length, 1);
});

console.log(JSON.stringify(summary));
