import { pagesApi, type PageCreate } from "./pages-api.ts";

export type FormState =
  | { ok: true; id: string; status: string }
  | { ok: false; message: string; fieldErrors: Record<string, string> };

/** Shaped like a Next.js server action: create a page, publish it, report errors for the form. */
export async function createAndPublish(actor: string, input: PageCreate): Promise<FormState> {
  const api = pagesApi(actor);
  const created = await api.pages.create(input);
  if (!created.ok) {
    const { failure } = created;
    switch (failure.kind) {
      case "conflict": // 409: "Page with this slug already exists"
        return { ok: false, message: failure.message, fieldErrors: {} };
      case "invalid": // 422: one entry per field, e.g. loc ["body", "authorId"]
        return {
          ok: false,
          message: "Some fields need attention",
          fieldErrors: Object.fromEntries(
            failure.errors.map((error) => [String(error.loc.at(-1)), error.msg]),
          ),
        };
      default:
        throw new Error(`pages service answered ${failure.status}: ${failure.message}`);
    }
  }
  if (!created.etag) throw new Error("pages service sent no ETag");
  // Conditional on the version just created: a concurrent edit would come back as `stale`.
  const published = await api.pages.update(
    created.value.id,
    { status: "PUBLISHED", published: true },
    created.etag,
  );
  if (!published.ok) throw new Error(`publishing failed: ${published.failure.kind}`);
  return { ok: true, id: published.value.id, status: published.value.status };
}
