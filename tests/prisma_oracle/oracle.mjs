// Prisma Client answering queries over JSON lines, as the tests' oracle.
//
// Usage: DATABASE_URL=... node oracle.mjs <generated client folder>
// stdin, one request per line:  {"model": "Page", "method": "findMany", "args": {...}}
// stdout, one answer per line:  {"ok": true, "result": ...} | {"ok": false, "error": "...", "code": "P2002"}
//
// Arguments may hold tagged values that JSON cannot carry: {"$date": iso}, {"$bigint": "12"},
// {"$decimal": "9.9"}, {"$bytes": base64}. Results are serialised as a Next.js route handler
// sends them (`Response.json`, i.e. JSON.stringify), with the two conversions such a route
// needs to answer at all: BigInt as its decimal string, Bytes (Uint8Array) as base64.
// Decimal goes through its own toJSON (decimal.js: "9.9", "10"), Date as ISO with ms and Z.
import { createRequire } from "node:module";
import path from "node:path";
import readline from "node:readline";
import { PrismaPg } from "@prisma/adapter-pg";

const require = createRequire(import.meta.url);
const { PrismaClient, Prisma } = require(path.resolve(process.argv[2]));

const prisma = new PrismaClient({
  adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL }),
});

function decode(value) {
  if (Array.isArray(value)) return value.map(decode);
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [tag] = keys;
    const raw = value[tag];
    if (tag === "$date") return new Date(raw);
    if (tag === "$bigint") return BigInt(raw);
    if (tag === "$decimal") return new Prisma.Decimal(raw);
    if (tag === "$bytes") return new Uint8Array(Buffer.from(raw, "base64"));
  }
  return Object.fromEntries(keys.map((key) => [key, decode(value[key])]));
}

// `this[key]` is the value before its toJSON ran (a Buffer's would give {type, data}).
function encodeValue(key, value) {
  const raw = this[key];
  if (typeof raw === "bigint") return raw.toString();
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString("base64");
  return value;
}

function delegate(model) {
  const name = typeof model === "string" ? model.charAt(0).toLowerCase() + model.slice(1) : "";
  const found = name && !name.startsWith("$") ? prisma[name] : undefined;
  if (found === undefined || typeof found !== "object") throw new Error(`unknown model: ${model}`);
  return found;
}

async function answer(line) {
  try {
    const { model, method, args } = JSON.parse(line);
    const target = delegate(model);
    if (typeof method !== "string" || typeof target[method] !== "function") {
      throw new Error(`unknown method: ${model}.${method}`);
    }
    const result = await target[method](decode(args ?? {}));
    return JSON.stringify({ ok: true, result: result ?? null }, encodeValue);
  } catch (err) {
    const error = String(err && err.message ? err.message : err).trim();
    return JSON.stringify({ ok: false, error, code: err?.code ?? null });
  }
}

// One request at a time, answered in order.
const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim()) process.stdout.write((await answer(line)) + "\n");
}
await prisma.$disconnect();
