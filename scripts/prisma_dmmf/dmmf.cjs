// Usage: node dmmf.cjs path/to/schema.prisma  -> DMMF datamodel JSON on stdout.
// Prisma 7 schemas drop `datasource.url`, which Prisma 6 requires: try the newer
// parser first and fall back to the older one, reporting the first error if both fail.
const fs = require("fs");

const path = process.argv[2];
const schema = fs.readFileSync(path, "utf8");
const request = JSON.stringify({ prismaSchema: [[path, schema]] });
const errors = [];
for (const pkg of ["prisma-schema-wasm-7", "prisma-schema-wasm-6"]) {
  try {
    const dmmf = JSON.parse(require(pkg).get_dmmf(request));
    process.stdout.write(JSON.stringify(dmmf.datamodel));
    process.exit(0);
  } catch (err) {
    errors.push(String(err && err.message ? err.message : err));
  }
}
let message = errors[errors.length - 1];
try {
  message = JSON.parse(message).message;
} catch (_) {}
process.stderr.write(`${path} is not a valid Prisma schema:\n${message.replace(/\u001b\[[0-9;]*m/g, "")}\n`);
process.exit(1);
