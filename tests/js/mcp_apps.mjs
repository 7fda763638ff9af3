// Renders kintone-mcp's MCP Apps views in headless Chromium (Debian's package, driven by playwright-core; no browser
// is ever downloaded) inside the test host page, with real answers of the server, and checks what a person sees:
// the records table's rows, sorting and paging (each a real get_records call through the host bridge), opening a
// record (get_record), and the chart's bars. Writes a screenshot of the table and of the chart.
// Usage: node mcp_apps.mjs  (env: HOST_URL, EXPECT: JSON of the answers the same calls give through mcp.Client,
// SHOTS: folder for the PNGs, CHROMIUM: the browser, default /usr/bin/chromium)
// Prints one line per step to stderr; exits non-zero on the first failure.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const HOST = process.env.HOST_URL, EXPECT = JSON.parse(process.env.EXPECT), SHOTS = process.env.SHOTS;
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

async function step(name, fn) {
  try {
    await fn();
    console.error(`ok ${name}`);
  } catch (e) {
    console.error(`FAILED ${name}: ${e && e.stack ? e.stack : e}`);
    process.exitCode = 1;
    throw e;
  }
}

const profile = mkdtempSync(join(tmpdir(), "kintone-mcp-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: FLAGS,
  viewport: { width: 900, height: 640 },
});
const requests = [], problems = [];
context.on("request", (r) => requests.push(r.url()));
const page = context.pages()[0] || (await context.newPage());
page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
page.on("pageerror", (e) => problems.push(String(e)));
const view = page.frameLocator("#view");

async function open(tool, args) {
  await page.goto(`${HOST}/?tool=${tool}&args=${encodeURIComponent(JSON.stringify(args))}`);
  await page.waitForFunction(() => window.host.ready || window.host.error, null, { timeout: 15000 });
  assert.equal(await page.evaluate(() => window.host.error), null);
}

const column = (i) => view.locator(`#records tbody tr td:nth-child(${i})`).allTextContents();
const appCalls = () => page.evaluate(() => window.host.appCalls);
// The frame takes the height the view reports (ui/notifications/size-changed); wait until it has settled.
async function settled() {
  let last = "";
  for (let i = 0; i < 40; i++) {
    const now = await page.evaluate(() => document.getElementById("view").style.height);
    if (now && now === last) return;
    last = now;
    await page.waitForTimeout(50);
  }
}

try {
  const t = EXPECT.table;
  await step("table: the first page of get_records, one row per record, newest first", async () => {
    await open("get_records", t.args);
    await view.locator("#records tbody tr").nth(t.first_ids.length - 1).waitFor();
    assert.deepEqual(await column(1), t.first_ids.map(String));
    assert.equal(await view.locator("#status").textContent(), `${t.first_ids.length} of ${t.total} records`);
    const headers = await view.locator("#records th").allTextContents();
    assert.deepEqual(headers, t.columns);
    const owner = await column(headers.indexOf("owner") + 1);
    assert.equal(owner[0], t.first_owner);
    assert.match((await column(headers.indexOf("line_items") + 1))[1], /^\d+ rows?$/);
    // Values are text, never markup: the newest record's title is HTML, shown as written and run as nothing.
    assert.equal((await column(headers.indexOf("title") + 1))[0], t.hostile);
    assert.equal(await view.locator("#records img").count(), 0);
  });
  await step("table: sorting by a column calls get_records with order_by through the host", async () => {
    const amount = view.locator("#records th button", { hasText: /^amount/ });
    await amount.click();
    await view.locator('#records th[aria-sort="ascending"]').waitFor();
    assert.deepEqual(await column(1), t.asc_ids.map(String));
    await amount.click();
    await view.locator('#records th[aria-sort="descending"]').waitFor();
    assert.deepEqual(await column(1), t.desc_ids.map(String));
    const amounts = (await column(t.columns.indexOf("amount") + 1)).map((a) => Number(a.replace(/[^\d.-]/g, "")));
    assert.deepEqual(amounts, [...amounts].sort((a, b) => b - a));
    // A column of lists (users) is not offered for sorting: Kintone cannot order by it.
    assert.equal(await view.locator("#records th button", { hasText: /^owner/ }).count(), 0);
    const calls = await appCalls();
    assert.deepEqual(calls.map((c) => c.arguments.order_by), ["amount asc", "amount desc"]);
    assert.ok(calls.every((c) => c.name === "get_records" && c.arguments.app === t.args.app));
  });
  await step("screenshot of the table", async () => {
    await view.locator(".wrap").evaluate((wrap) => (wrap.scrollLeft = 0));
    await settled();
    await page.locator("#view").screenshot({ path: join(SHOTS, "mcp-apps-table.png") });
  });
  await step("table: More records pages on with the `next` token, keeping the order", async () => {
    await view.locator("#more").click();
    await view.locator("#records tbody tr").nth(t.desc_ids.length + t.desc_next_ids.length - 1).waitFor();
    assert.deepEqual(await column(1), [...t.desc_ids, ...t.desc_next_ids].map(String));
    const last = (await appCalls()).at(-1);
    assert.deepEqual(Object.keys(last.arguments), ["next"]);
    assert.equal(await view.locator("#more").isHidden(), !t.desc_has_more);
  });
  await step("table: opening a record shows it in full through get_record", async () => {
    await view.locator("#records tbody tr").first().locator("button").click();
    await view.locator("#detail:not([hidden])").waitFor();
    const text = await view.locator("#detail").textContent();
    assert.ok(text.includes(`Record ${t.desc_ids[0]}`) && text.includes(t.opened_title), text);
    assert.equal(await view.locator("#detail dd table tbody tr").count(), t.opened_rows);
    assert.deepEqual((await appCalls()).at(-1), { name: "get_record", arguments: { id: t.desc_ids[0], app: t.args.app } });
  });

  const one = EXPECT.chart_one;
  await step("chart: one bar per group, heights in proportion to the metric", async () => {
    await open("aggregate_records", one.args);
    await view.locator("rect.bar").first().waitFor();
    const bars = await view.locator("rect.bar").evaluateAll((rs) =>
      rs.map((r) => ({ x: r.dataset.x, v: Number(r.dataset.value), h: Number(r.getAttribute("height")) })));
    assert.deepEqual(bars.map((b) => [b.x, b.v]), one.groups);
    const ratio = bars[0].h / bars[0].v;
    for (const b of bars) assert.ok(Math.abs(b.h / b.v - ratio) < ratio * 0.01, `bar ${b.x} out of proportion`);
    assert.equal(await view.locator("#metric").inputValue(), one.metric);
    await view.locator("#metric").selectOption("count");
    const counts = await view.locator("rect.bar").evaluateAll((rs) => rs.map((r) => Number(r.dataset.value)));
    assert.deepEqual(counts, one.counts);
  });
  const two = EXPECT.chart_two;
  await step("chart: two group-by keys, months as lines, then stacked bars", async () => {
    await open("aggregate_records", two.args);
    await view.locator("circle.point").first().waitFor();
    assert.equal(await view.locator("#lines").getAttribute("aria-pressed"), "true");
    assert.equal(await view.locator("circle.point").count(), two.groups);
    assert.equal(await view.locator("polyline.line").count(), two.series.length);
    await view.locator("#bars").click();
    const bars = await view.locator("rect.bar").evaluateAll((rs) =>
      rs.map((r) => ({ x: r.dataset.x, left: r.getAttribute("x"), v: Number(r.dataset.value), h: Number(r.getAttribute("height")) })));
    assert.equal(bars.length, two.groups);
    // Stacked: the bars of one month share their place, and their heights add up in proportion to its total.
    const byMonth = new Map();
    for (const b of bars) byMonth.set(b.x, [...(byMonth.get(b.x) || []), b]);
    assert.deepEqual([...byMonth.keys()], two.months);
    const ratio = bars[0].h / bars[0].v;
    for (const [month, stack] of byMonth) {
      assert.equal(new Set(stack.map((b) => b.left)).size, 1, `${month} is not one stack`);
      const total = stack.reduce((s, b) => s + b.v, 0), height = stack.reduce((s, b) => s + b.h, 0);
      assert.ok(Math.abs(height - total * ratio) < 1 + total * ratio * 0.01, `${month} stack out of proportion`);
    }
    assert.deepEqual(await view.locator("#legend span").allTextContents(), two.series);
  });
  await step("screenshot of the chart", async () => {
    await settled();
    await page.locator("#view").screenshot({ path: join(SHOTS, "mcp-apps-chart.png") });
  });
  await step("the views fetched nothing and logged no error", async () => {
    const foreign = requests.filter((u) => !u.startsWith(HOST + "/"));
    assert.deepEqual(foreign, []);
    assert.deepEqual(problems, []);
  });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
