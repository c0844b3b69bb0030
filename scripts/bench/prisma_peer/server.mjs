// The benchmark's peer: what a Next.js team would run instead of calling the service.
// Prisma Client 7 over @prisma/adapter-pg, with the service's duties on every request:
// an HS256 bearer token checked with `jose` (sub and exp required), a request id, strict
// `zod` validation of the query and the body, an ETag, one JSON access line with `pino`.
// The same three endpoints the benchmark loads on the service, answered in its JSON; of the
// list's `where` and `include`, the benchmark's `where[status]` and `include[author]`.
//
// Usage: DATABASE_URL=... SECRET_KEY=... PORT=... [PEER_WORKERS=2] [PEER_POOL_SIZE=20]
//        node server.mjs <generated client folder>
// PEER_WORKERS > 1 runs that many processes behind node:cluster (one port, shared).
import cluster from "node:cluster";
import { randomUUID } from "node:crypto";
import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { jwtVerify } from "jose";
import pino from "pino";
import { z } from "zod";

const WORKERS = Number(process.env.PEER_WORKERS ?? "1");
const MAX_BODY_BYTES = 1024 * 1024;
const SANE_REQUEST_ID = /^[A-Za-z0-9._:+=/-]{1,128}$/;
const PAGES = "/api/v1/pages/";

if (WORKERS > 1 && cluster.isPrimary) {
  for (let i = 0; i < WORKERS; i++) cluster.fork();
  const stop = () => {
    for (const worker of Object.values(cluster.workers)) worker.process.kill("SIGTERM");
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
} else {
  serve();
}

function serve() {
  const require = createRequire(import.meta.url);
  const { PrismaClient, Prisma } = require(path.resolve(process.argv[2]));
  const prisma = new PrismaClient({
    adapter: new PrismaPg({
      connectionString: process.env.DATABASE_URL,
      max: Number(process.env.PEER_POOL_SIZE ?? "20"),
      application_name: process.env.PEER_APPLICATION_NAME ?? "prisma-peer",
    }),
  });
  const secret = new TextEncoder().encode(process.env.SECRET_KEY);
  const logger = pino();

  class HttpError extends Error {
    constructor(status, detail, headers = {}) {
      super(typeof detail === "string" ? detail : "invalid request");
      this.status = status;
      this.detail = detail;
      this.headers = headers;
    }
  }

  const invalid = (where, error) =>
    new HttpError(
      422,
      error.issues.map((issue) => ({
        type: issue.code,
        loc: [where, ...issue.path],
        msg: issue.message,
      })),
    );

  const Id = z.string().min(1).max(191);
  const PageStatus = z.enum(["DRAFT", "PUBLISHED", "ARCHIVED"]);
  const ListQuery = z.strictObject({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    skip: z.coerce.number().int().min(0).max(1_000_000).default(0),
    "orderBy[createdAt]": z.enum(["asc", "desc"]).default("desc"),
    "where[status]": PageStatus.optional(),
    "include[author]": z.stringbool().default(false),
    count: z.enum(["exact", "none"]).default("exact"),
    cursor: Id.optional(),
  });
  const PageCreate = z.strictObject({
    title: z.string().min(1).max(500),
    slug: z.string().min(1).max(191),
    content: z.string().nullable().optional(),
    status: PageStatus.optional(),
    published: z.boolean().optional(),
    keywords: z.array(z.string().max(100)).max(100).optional(),
    metadata: z.json().optional(),
    price: z
      .string()
      .regex(/^-?\d{1,8}(\.\d{1,2})?$/)
      .nullable()
      .optional(),
    authorId: Id,
    parentId: Id.nullable().optional(),
  });

  async function authenticate(req) {
    const header = req.headers.authorization ?? "";
    if (!header.startsWith("Bearer ")) {
      throw new HttpError(401, "Not authenticated", { "WWW-Authenticate": "Bearer" });
    }
    try {
      const { payload } = await jwtVerify(header.slice(7), secret, {
        algorithms: ["HS256"],
        requiredClaims: ["sub", "exp"],
        clockTolerance: 10,
      });
      return payload.sub;
    } catch {
      throw new HttpError(401, "Invalid token", {
        "WWW-Authenticate": 'Bearer error="invalid_token"',
      });
    }
  }

  const etag = (page) => `"${page.updatedAt.getTime()}"`;

  async function getPage(req, id) {
    const page = await prisma.page.findUnique({ where: { id: Id.parse(id) } });
    if (page === null) throw new HttpError(404, "Page not found");
    const tag = etag(page);
    if (req.headers["if-none-match"] === tag) return { status: 304, headers: { ETag: tag } };
    return { status: 200, body: page, headers: { ETag: tag } };
  }

  async function listPages(params) {
    const parsed = ListQuery.safeParse(Object.fromEntries(params));
    if (!parsed.success) throw invalid("query", parsed.error);
    const { limit, skip, count, cursor } = parsed.data;
    const direction = parsed.data["orderBy[createdAt]"];
    const status = parsed.data["where[status]"];
    const where = status ? { status } : {};
    const [data, total] = await Promise.all([
      prisma.page.findMany({
        where,
        ...(parsed.data["include[author]"] ? { include: { author: true } } : {}),
        orderBy: [{ createdAt: direction }, { id: direction }],
        take: limit,
        skip: cursor ? 1 : skip,
        ...(cursor ? { cursor: { id: cursor } } : {}),
      }),
      count === "exact" ? prisma.page.count({ where }) : null,
    ]);
    const nextCursor = data.length === limit ? data[data.length - 1].id : null;
    return { status: 200, body: { data, count: total, nextCursor } };
  }

  async function readJson(req) {
    if (!(req.headers["content-type"] ?? "").startsWith("application/json")) {
      throw new HttpError(415, "Send the body as application/json");
    }
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) throw new HttpError(413, "The body is too large");
      chunks.push(chunk);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      throw new HttpError(422, [{ type: "json_invalid", loc: ["body"], msg: "Invalid JSON" }]);
    }
  }

  async function createPage(req) {
    const parsed = PageCreate.safeParse(await readJson(req));
    if (!parsed.success) throw invalid("body", parsed.error);
    const { metadata, ...fields } = parsed.data;
    const data = metadata === null ? { ...fields, metadata: Prisma.DbNull } : parsed.data;
    try {
      const page = await prisma.page.create({ data });
      return {
        status: 201,
        body: page,
        headers: { ETag: etag(page), Location: `${PAGES}${page.id}` },
      };
    } catch (err) {
      if (err.code === "P2002") throw new HttpError(409, "Page with this slug already exists");
      if (err.code === "P2003") throw new HttpError(422, "The author or parent page does not exist");
      throw err;
    }
  }

  async function route(req, url) {
    if (url.pathname === "/api/v1/utils/health-check" && req.method === "GET") {
      return { status: 200, body: { status: true } };
    }
    if (!url.pathname.startsWith(PAGES)) throw new HttpError(404, "Not Found");
    await authenticate(req);
    const rest = url.pathname.slice(PAGES.length);
    if (rest === "" && req.method === "GET") return listPages(url.searchParams);
    if (rest === "" && req.method === "POST") return createPage(req);
    if (rest !== "" && !rest.includes("/") && req.method === "GET") {
      return getPage(req, decodeURIComponent(rest));
    }
    throw new HttpError(405, "Method Not Allowed");
  }

  // BigInt has no JSON form: sent as its decimal string, as the service does.
  const json = (body) =>
    JSON.stringify(body, (_key, value) => (typeof value === "bigint" ? value.toString() : value));

  const server = http.createServer(async (req, res) => {
    const started = process.hrtime.bigint();
    const given = req.headers["x-request-id"];
    const requestId = given && SANE_REQUEST_ID.test(given) ? given : randomUUID().replaceAll("-", "");
    let answer;
    try {
      answer = await route(req, new URL(req.url, "http://peer"));
    } catch (err) {
      if (err instanceof HttpError) {
        answer = { status: err.status, body: { detail: err.detail }, headers: err.headers };
      } else if (err instanceof z.ZodError) {
        answer = { status: 422, body: { detail: invalid("path", err).detail } };
      } else if (err instanceof URIError) {
        answer = { status: 422, body: { detail: "The path is not valid percent-encoding" } };
      } else {
        logger.error({ err, request_id: requestId }, "unhandled error");
        answer = { status: 500, body: { detail: "Internal Server Error" } };
      }
    }
    const headers = { ...answer.headers, "X-Request-ID": requestId };
    if (answer.body === undefined) {
      res.writeHead(answer.status, headers).end();
    } else {
      headers["Content-Type"] = "application/json";
      res.writeHead(answer.status, headers).end(json(answer.body));
    }
    logger.info(
      {
        request_id: requestId,
        method: req.method,
        path: pathOf(req.url),
        status: answer.status,
        duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
      },
      "request",
    );
  });

  function pathOf(raw) {
    const query = raw.indexOf("?");
    return query === -1 ? raw : raw.slice(0, query);
  }

  server.keepAliveTimeout = 5000;
  server.listen(Number(process.env.PORT ?? "3000"), process.env.HOST ?? "127.0.0.1");
  const shutdown = () => {
    server.close(() => prisma.$disconnect().then(() => process.exit(0)));
    server.closeIdleConnections();
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}
