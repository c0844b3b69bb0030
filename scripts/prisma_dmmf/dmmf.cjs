// Usage: node dmmf.cjs path/to/schema.prisma  -> DMMF datamodel JSON on stdout.
// Prisma 7 schemas drop `datasource.url`, which Prisma 6 requires: try the newer
// parser first and fall back to the older one, reporting the older one's error if both fail.
const fs = require("fs");

function readDatamodel(path) {
  const schema = fs.readFileSync(path, "utf8");
  const request = JSON.stringify({ prismaSchema: [[path, schema]] });
  const errors = [];
  for (const pkg of ["prisma-schema-wasm-7", "prisma-schema-wasm-6"]) {
    try {
      return { datamodel: JSON.parse(require(pkg).get_dmmf(request)).datamodel };
    } catch (err) {
      errors.push(String(err && err.message ? err.message : err));
    }
  }
  let message = errors[errors.length - 1];
  try {
    message = JSON.parse(message).message;
  } catch (_) {}
  return { error: message.replace(/\u001b\[[0-9;]*m/g, "") };
}

const path = process.argv[2];
const result = readDatamodel(path);
// process.exit() would cut a large write to a pipe short: set the code and let Node drain stdout.
if (result.error === undefined) {
  process.stdout.write(JSON.stringify(result.datamodel));
} else {
  process.stderr.write(`${path} is not a valid Prisma schema:\n${result.error}\n`);
  process.exitCode = 1;
}
