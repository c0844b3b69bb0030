import { SignJWT } from "jose";

const secret = process.env.SERVICE_SECRET_KEY;
if (!secret) throw new Error("SERVICE_SECRET_KEY is not set");
const key = new TextEncoder().encode(secret);

/** A short-lived token for one call: HS256 with the service's SECRET_KEY, `sub` and `exp`. */
export async function serviceToken(sub: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("60s")
    .sign(key);
}
