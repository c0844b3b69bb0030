-- AlterTable
ALTER TABLE "Page" ADD COLUMN     "viewCount" BIGINT NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "Page_status_createdAt_idx" ON "Page"("status", "createdAt");

-- CreateView (written by hand: Prisma does not generate SQL for views)
CREATE VIEW "PublishedPage" AS
SELECT
    p."id",
    p."title",
    p."slug",
    p."authorId",
    u."email" AS "authorEmail",
    (SELECT COUNT(*)::INTEGER FROM "_PageToTag" pt WHERE pt."A" = p."id") AS "tagCount",
    p."updatedAt"
FROM "Page" p
JOIN "User" u ON u."id" = p."authorId"
WHERE p."published" = true;
