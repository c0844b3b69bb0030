// Usage: node dmmf.cjs path/to/schema.prisma|path/to/schema-folder -> DMMF datamodel JSON on stdout.
// A folder is read as Prisma reads one (prismaSchemaFolder): every .prisma file under it,
// handed to the engine together. Prisma 7 schemas drop `datasource.url`, which Prisma 6
// requires: try the parser that fits first and fall back to the other, reporting the
// last one's error if both fail.
const fs = require("fs");
const nodePath = require("path");

function schemaFiles(path) {
  if (!fs.statSync(path).isDirectory()) return [path];
  return fs
    .readdirSync(path, { recursive: true })
    .map((name) => nodePath.join(path, String(name)))
    .filter((file) => file.endsWith(".prisma") && fs.statSync(file).isFile())
    .sort();
}

function readDatamodel(path) {
  const files = schemaFiles(path);
  if (files.length === 0) return { error: "the folder holds no .prisma file" };
  const request = JSON.stringify({
    prismaSchema: files.map((file) => [file, fs.readFileSync(file, "utf8")]),
  });
  // Each engine takes seconds to load: start with the one the datasource's `url` points to.
  const hasUrl = files.some((file) =>
    /datasource\s+\w+\s*\{[^}]*\burl\s*=/.test(fs.readFileSync(file, "utf8")),
  );
  const packages = ["prisma-schema-wasm-7", "prisma-schema-wasm-6"];
  if (hasUrl) packages.reverse();
  const errors = [];
  for (const pkg of packages) {
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
