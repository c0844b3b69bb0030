// Plays the Next.js server against a live service: every call goes through pages-api.ts.
// Prints one JSON line per step; any unexpected answer fails an assertion (exit code 1).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createAndPublish } from "./actions.ts";
import { pagesApi, type Failure, type PageCreate, type Result } from "./pages-api.ts";

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

// Users: the author, created through the API; the email is unique (409).
const author = value(
  await api.users.create({ email: `contract-${run}@example.com`, name: "Contract", role: "EDITOR" }),
).value;
assert.match(author.createdAt, isoMillisZ);
const authorId = author.id;
step("create-user", { email: author.email, role: author.role, pages: author.pages ?? null });
const takenEmail = failure(await api.users.create({ email: author.email }));
step("create-user-duplicate", { kind: takenEmail.kind, status: takenEmail.status });

// Tags: an integer key; relations are answered only when included.
const intro = value(await api.tags.create({ name: `intro-${run}` })).value;
const guide = value(await api.tags.create({ name: `guide-${run}` })).value;
step("create-tags", { names: [intro.name, guide.name], pages: intro.pages ?? null });

// Create, with the optional fields left out and a tag connected by id.
const created = value(
  await api.pages.create({
    title: `Contract ${run}`,
    slug: `contract-${run}`,
    authorId,
    keywords: ["contract"],
    price: "9.99",
    tags: { connect: [{ id: intro.id }] },
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
  tags: page.tags ?? null,
});

// 409: the slug is taken.
const conflict = failure(await api.pages.create({ title: "Again", slug: page.slug, authorId }));
assert.equal(conflict.kind, "conflict");
step("create-duplicate", { kind: conflict.kind, status: conflict.status, message: conflict.message });

// 422 from validation (empty title), and from the database (an author or a tag that does not
// exist; nothing is written).
const invalidBodies: [string, PageCreate][] = [
  ["create-invalid", { title: "", slug: `empty-${run}`, authorId }],
  ["create-unknown-author", { title: "Orphan", slug: `orphan-${run}`, authorId: `nobody-${run}` }],
  [
    "create-unknown-tag",
    { title: "Untagged", slug: `untagged-${run}`, authorId, tags: { connect: [{ id: 2147483647 }] } },
  ],
];
for (const [name, body] of invalidBodies) {
  const invalid = failure(await api.pages.create(body));
  assert.equal(invalid.kind, "invalid");
  step(name, {
    kind: invalid.kind,
    status: invalid.status,
    fields: invalid.errors.map((error) => error.loc.join(".")),
  });
}

// Prisma's findMany over the query string: filtered, ordered, with relations included.
const listed = value(
  await api.pages.list({
    where: { title: { contains: run }, authorId, status: "DRAFT" },
    orderBy: { createdAt: "desc" },
    include: { author: true, tags: true },
    limit: 10,
  }),
).value;
const first = listed.data[0];
step("list", {
  count: listed.count,
  ids: listed.data.map((item) => item.id),
  authorEmail: first?.author?.email,
  tagNames: first?.tags?.map((tag) => tag.name),
  firstTag: first?.tags?.[0]?.name,
});

// A relation filter and a to-many include on another resource.
const users = value(
  await api.users.list({
    where: { pages: { some: { tags: { some: { name: intro.name } } } } },
    orderBy: [{ email: "asc" }],
    include: { pages: { include: { tags: true } } },
    count: "exact",
  }),
).value;
step("list-users", {
  count: users.count,
  emails: users.data.map((user) => user.email),
  pageSlugs: users.data[0]?.pages?.map((item) => item.slug),
  pageTag: users.data[0]?.pages?.[0]?.tags?.[0]?.name,
});

// Read.
const read = value(await api.pages.get(page.id));
assert.equal(read.etag, created.etag);
step("get", { title: read.value.title, etag: read.etag });

// Update with If-Match: the write succeeds, the ETag moves on, the tag links are replaced.
assert.ok(read.etag);
const updated = value(
  await api.pages.update(
    page.id,
    { title: `Renamed ${run}`, status: "PUBLISHED", tags: { set: [{ id: guide.id }] } },
    read.etag,
  ),
);
assert.ok(updated.etag);
assert.notEqual(updated.etag, read.etag);
const retagged = value(await api.pages.get(page.id, { tags: true, author: true })).value;
const introAfter = value(await api.tags.get(intro.id, { pages: true })).value;
step("update", {
  title: updated.value.title,
  status: updated.value.status,
  etagChanged: updated.etag !== read.etag,
  tagNames: retagged.tags?.map((tag) => tag.name),
  authorEmail: retagged.author?.email,
  introPages: introAfter.pages?.map((item) => item.id),
});

// The old ETag no longer matches: 412.
const stale = failure(await api.pages.update(page.id, { title: "Lost update" }, read.etag));
step("update-stale", { kind: stale.kind, status: stale.status });

// Delete with the current ETag; the page is gone.
value(await api.pages.remove(page.id, updated.etag));
const gone = failure(await api.pages.get(page.id));
step("delete", { afterwards: gone.kind, status: gone.status });

// The server-action helper: success, then the two failures a form shows.
const action = { title: `Action ${run}`, slug: `action-${run}`, authorId };
step("action", await createAndPublish("contract-test", action));
step("action-conflict", await createAndPublish("contract-test", action));
const orphan = { ...action, slug: `orphan-action-${run}`, authorId: `nobody-${run}` };
step("action-invalid", await createAndPublish("contract-test", orphan));
