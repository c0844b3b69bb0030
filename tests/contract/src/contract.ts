// Plays the Next.js server against a live service: every call goes through pages-api.ts.
// Prints one JSON line per step; any unexpected answer fails an assertion (exit code 1).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createAndPublish } from "./actions.ts";
import { pagesApi, type Failure, type Result } from "./pages-api.ts";

const authorId = process.env.AUTHOR_ID;
if (!authorId) throw new Error("AUTHOR_ID is not set");

const api = pagesApi("contract-test");
const run = randomUUID().slice(0, 8);
const isoMillisZ = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function step(name: string, facts: Record<string, unknown>): void {
  console.log(JSON.stringify({ step: name, ...facts }));
}

function value<T>(result: Result<T>): { value: T; etag: string | null } {
  assert.ok(result.ok, `expected success, got ${JSON.stringify(result)}`);
  return result;
}

function failure<T>(result: Result<T>): Failure {
  assert.ok(!result.ok, `expected a failure, got ${JSON.stringify(result)}`);
  return result.failure;
}

// Create, with the optional fields left out.
const created = value(
  await api.create({
    title: `Contract ${run}`,
    slug: `contract-${run}`,
    authorId,
    keywords: ["contract"],
    price: "9.99",
  }),
);
const page = created.value;
assert.match(page.createdAt, isoMillisZ);
assert.ok(created.etag);
step("create", {
  id: page.id,
  status: page.status,
  published: page.published,
  price: page.price,
  viewCount: page.viewCount,
  createdAt: page.createdAt,
  etag: created.etag,
});

// 409: the slug is taken.
const conflict = failure(await api.create({ title: "Again", slug: page.slug, authorId }));
assert.equal(conflict.kind, "conflict");
step("create-duplicate", { kind: conflict.kind, status: conflict.status, message: conflict.message });

// 422 from validation (empty title), and from the database (an author that does not exist).
for (const [name, body] of [
  ["create-invalid", { title: "", slug: `empty-${run}`, authorId }],
  ["create-unknown-author", { title: "Orphan", slug: `orphan-${run}`, authorId: `nobody-${run}` }],
] as const) {
  const invalid = failure(await api.create(body));
  assert.equal(invalid.kind, "invalid");
  step(name, {
    kind: invalid.kind,
    status: invalid.status,
    fields: invalid.errors.map((error) => error.loc.join(".")),
  });
}

// List with filters: only this run's page matches.
const listed = value(
  await api.list({ authorId, status: "DRAFT", q: run, order_by: "-createdAt", limit: 10 }),
).value;
step("list", { count: listed.count, ids: listed.data.map((item) => item.id) });

// Read.
const read = value(await api.get(page.id));
assert.equal(read.etag, created.etag);
step("get", { title: read.value.title, etag: read.etag });

// Update with If-Match: the write succeeds and the ETag moves on.
assert.ok(read.etag);
const updated = value(
  await api.update(page.id, { title: `Renamed ${run}`, status: "PUBLISHED" }, read.etag),
);
assert.ok(updated.etag);
assert.notEqual(updated.etag, read.etag);
step("update", {
  title: updated.value.title,
  status: updated.value.status,
  etagChanged: updated.etag !== read.etag,
});

// The old ETag no longer matches: 412.
const stale = failure(await api.update(page.id, { title: "Lost update" }, read.etag));
step("update-stale", { kind: stale.kind, status: stale.status });

// Delete with the current ETag; the page is gone.
value(await api.remove(page.id, updated.etag));
const gone = failure(await api.get(page.id));
step("delete", { afterwards: gone.kind, status: gone.status });

// The server-action helper: success, then the two failures a form shows.
const action = { title: `Action ${run}`, slug: `action-${run}`, authorId };
step("action", await createAndPublish("contract-test", action));
step("action-conflict", await createAndPublish("contract-test", action));
const orphan = { ...action, slug: `orphan-action-${run}`, authorId: `nobody-${run}` };
step("action-invalid", await createAndPublish("contract-test", orphan));
