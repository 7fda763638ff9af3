// Drives the sandbox's space, thread, guest and search endpoints with Cybozu's official @kintone/rest-api-client,
// unchanged: what it sends is what Kintone receives from real integrations, and what it reads must parse.
// Usage: node spaces.mjs  (env: SANDBOX_URL, SANDBOX_USER, SANDBOX_PASSWORD, SANDBOX_TOKEN_APP1)
import assert from "node:assert/strict";
import { KintoneRestAPIClient, KintoneRestAPIError } from "@kintone/rest-api-client";

const baseUrl = process.env.SANDBOX_URL;
const auth = { username: process.env.SANDBOX_USER, password: process.env.SANDBOX_PASSWORD };
const client = new KintoneRestAPIClient({ baseUrl, auth });

async function step(name, fn) {
  try {
    await fn();
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
    assert.equal(e.status, status);
    assert.equal(e.code, code);
    return;
  }
  assert.fail(`expected ${status} ${code}, but the call succeeded`);
}

const admin = { entity: { type: "USER", code: "Administrator" }, isAdmin: true };
let space;
let thread;
await step("a space from a template, read back", async () => {
  ({ id: space } = await client.space.addSpaceFromTemplate({ id: 1, name: "JS space", members: [admin] }));
  const read = await client.space.getSpace({ id: space });
  assert.equal(read.name, "JS space");
  assert.equal(read.isPrivate, false);
  assert.equal(typeof read.defaultThread, "string");
});

await step("members replaced and read", async () => {
  await client.space.updateSpaceMembers({
    id: space,
    members: [admin, { entity: { type: "ORGANIZATION", code: "sales" }, includeSubs: true }],
  });
  const { members } = await client.space.getSpaceMembers({ id: space });
  assert.deepEqual(members.map((m) => m.entity.code), ["Administrator", "sales"]);
});

await step("a thread, renamed, with a comment that mentions", async () => {
  ({ id: thread } = await client.space.addThread({ space, name: "JS thread" }));
  await client.space.updateThread({ id: thread, name: "JS thread (renamed)", body: "<b>hello</b>" });
  const { id } = await client.space.addThreadComment({
    space,
    thread,
    comment: { text: "Nightjar report attached soon", mentions: [{ type: "USER", code: "sato" }] },
  });
  assert.ok(Number(id) > 0);
});

await step("settings and body", async () => {
  await client.space.updateSpace({ id: space, name: "JS space 2", showMemberList: false });
  await client.space.updateSpaceBody({ id: space, body: "<p>Body</p>" });
  const read = await client.space.getSpace({ id: space });
  assert.equal(read.name, "JS space 2");
  assert.equal(read.body, "<p>Body</p>");
});

await step("search finds the comment, and pages", async () => {
  const found = await client.search({ query: [{ operator: "AND", keywords: ["Nightjar"] }] });
  assert.equal(found.hits.length, 1);
  assert.equal(found.hits[0].type, "THREAD_COMMENT");
  assert.equal(found.hits[0].threadComment.threadId, String(thread));
  const first = await client.search({ query: [{ operator: "AND", keywords: ["Kaze"] }], limit: 5 });
  assert.equal(first.hits.length, 5);
  const second = await client.search({
    query: [{ operator: "AND", keywords: ["Kaze"] }],
    limit: 5,
    pageToken: first.nextPageToken,
  });
  assert.equal(second.hits.length, 5);
});

await step("guests of the guest space", async () => {
  await client.space.addGuests({
    guests: [{ code: "ito@hikari.example", password: "x", timezone: "Asia/Tokyo", name: "Ito" }],
  });
  const guestClient = new KintoneRestAPIClient({ baseUrl, auth, guestSpaceId: 2 });
  await guestClient.space.updateSpaceGuests({ id: 2, guests: ["ito@hikari.example"] });
  assert.equal((await guestClient.space.getSpace({ id: 2 })).isGuest, true);
});

await step("API tokens are refused (403 GAIA_NO01)", async () => {
  const tokens = new KintoneRestAPIClient({ baseUrl, auth: { apiToken: process.env.SANDBOX_TOKEN_APP1 } });
  await expectKintoneError(tokens.space.getSpace({ id: 1 }), 403, "GAIA_NO01");
});

await step("deleted, then not found", async () => {
  await client.space.deleteSpace({ id: space });
  await expectKintoneError(client.space.getSpace({ id: space }), 404, "GAIA_SP01");
});
