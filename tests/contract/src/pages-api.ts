import createClient from "openapi-fetch";
import qs from "qs";
import type { components, paths } from "../generated/api.ts";
import { serviceToken } from "./service-token.ts";

type Schemas = components["schemas"];
export type Page = Schemas["Page"];
export type PageList = Schemas["PageList"];
export type PageCreate = Schemas["PageCreateInput"];
export type PageUpdate = Schemas["PageUpdateInput"];
export type PageInclude = Schemas["PageInclude"];
/** Prisma's findMany arguments: `where`, `orderBy`, `include`, plus skip/cursor/limit/count. */
export type PageQuery = NonNullable<paths["/api/v1/pages/"]["get"]["parameters"]["query"]>;
export type User = Schemas["User"];
export type UserCreate = Schemas["UserCreateInput"];
export type UserList = Schemas["UserList"];
export type UserQuery = NonNullable<paths["/api/v1/users/"]["get"]["parameters"]["query"]>;
export type Tag = Schemas["Tag"];
export type TagCreate = Schemas["TagCreateInput"];
export type TagInclude = Schemas["TagInclude"];
export type FieldError = Schemas["ValidationError"];

/** The ways a call fails that callers act on; anything else is `other`. */
export type Failure =
  | { kind: "invalid"; status: 422; errors: FieldError[] }
  | { kind: "conflict"; status: 409; message: string }
  | { kind: "stale"; status: 412; message: string }
  | { kind: "not-found"; status: 404; message: string }
  | { kind: "other"; status: number; message: string };

export type Result<T> =
  | { ok: true; value: T; etag: string | null }
  | { ok: false; failure: Failure };

const baseUrl = process.env.PAGES_API_URL;
if (!baseUrl) throw new Error("PAGES_API_URL is not set");

function succeeded<T>(value: T, response: Response): Result<T> {
  return { ok: true, value, etag: response.headers.get("ETag") };
}

function failed<T>(
  response: Response,
  error: Schemas["Message"] | Schemas["HTTPValidationError"],
): Result<T> {
  const { status } = response;
  const detail = error.detail ?? [];
  if (Array.isArray(detail)) {
    return status === 422
      ? { ok: false, failure: { kind: "invalid", status, errors: detail } }
      : { ok: false, failure: { kind: "other", status, message: JSON.stringify(detail) } };
  }
  switch (status) {
    case 409:
      return { ok: false, failure: { kind: "conflict", status, message: detail } };
    case 412:
      return { ok: false, failure: { kind: "stale", status, message: detail } };
    case 404:
      return { ok: false, failure: { kind: "not-found", status, message: detail } };
    default:
      return { ok: false, failure: { kind: "other", status, message: detail } };
  }
}

/** The pages service as `actor` (the token's `sub`): every request carries a fresh token. */
export function pagesApi(actor: string) {
  const client = createClient<paths>({
    baseUrl,
    // Nested `where`/`orderBy`/`include` in qs's bracket form (openapi-fetch does one level).
    querySerializer: (q) => qs.stringify(q, { strictNullHandling: true }),
  });
  client.use({
    async onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${await serviceToken(actor)}`);
      return request;
    },
  });

  const pages = {
    /** e.g. `{ where: { title: { contains: "intro" } }, include: { author: true } }` */
    async list(query: PageQuery): Promise<Result<PageList>> {
      const { data, error, response } = await client.GET("/api/v1/pages/", {
        params: { query },
      });
      return error ? failed(response, error) : succeeded(data, response);
    },

    async get(id: string, include?: PageInclude): Promise<Result<Page>> {
      const { data, error, response } = await client.GET("/api/v1/pages/{id}", {
        params: { path: { id }, query: { include } },
      });
      return error ? failed(response, error) : succeeded(data, response);
    },

    /** Tags are linked by id: `tags: { connect: [{ id: 1 }] }`. */
    async create(page: PageCreate): Promise<Result<Page>> {
      const { data, error, response } = await client.POST("/api/v1/pages/", { body: page });
      return error ? failed(response, error) : succeeded(data, response);
    },

    /** Changes only the fields given, and only if the page still has `etag` (else `stale`). */
    async update(id: string, changes: PageUpdate, etag: string): Promise<Result<Page>> {
      const { data, error, response } = await client.PUT("/api/v1/pages/{id}", {
        params: { path: { id }, header: { "if-match": etag } },
        body: changes,
      });
      return error ? failed(response, error) : succeeded(data, response);
    },

    async remove(id: string, etag: string): Promise<Result<null>> {
      const { error, response } = await client.DELETE("/api/v1/pages/{id}", {
        params: { path: { id }, header: { "if-match": etag } },
      });
      return error ? failed(response, error) : succeeded(null, response);
    },
  };

  const users = {
    async list(query: UserQuery): Promise<Result<UserList>> {
      const { data, error, response } = await client.GET("/api/v1/users/", {
        params: { query },
      });
      return error ? failed(response, error) : succeeded(data, response);
    },

    async create(user: UserCreate): Promise<Result<User>> {
      const { data, error, response } = await client.POST("/api/v1/users/", { body: user });
      return error ? failed(response, error) : succeeded(data, response);
    },
  };

  const tags = {
    async get(id: number, include?: TagInclude): Promise<Result<Tag>> {
      const { data, error, response } = await client.GET("/api/v1/tags/{id}", {
        params: { path: { id }, query: { include } },
      });
      return error ? failed(response, error) : succeeded(data, response);
    },

    async create(tag: TagCreate): Promise<Result<Tag>> {
      const { data, error, response } = await client.POST("/api/v1/tags/", { body: tag });
      return error ? failed(response, error) : succeeded(data, response);
    },
  };

  return { pages, users, tags };
}
