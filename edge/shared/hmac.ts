// HMAC-SHA256 helpers on WebCrypto (the Workers runtime has no Node crypto by default).

const encoder = new TextEncoder();

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
	const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
	let out = "";
	for (const b of view) out += b.toString(16).padStart(2, "0");
	return out;
}

export function concatBytes(...parts: (string | Uint8Array)[]): Uint8Array {
	const chunks = parts.map((p) => (typeof p === "string" ? encoder.encode(p) : p));
	const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
	let offset = 0;
	for (const c of chunks) {
		out.set(c, offset);
		offset += c.length;
	}
	return out;
}

async function importKey(secret: string): Promise<CryptoKey> {
	return crypto.subtle.importKey(
		"raw",
		encoder.encode(secret),
		{ name: "HMAC", hash: "SHA-256" },
		false,
		["sign"],
	);
}

/** Lowercase hex HMAC-SHA256 of `message` under `secret`. */
export async function hmacHex(secret: string, message: string | Uint8Array): Promise<string> {
	const key = await importKey(secret);
	const data = typeof message === "string" ? encoder.encode(message) : message;
	return toHex(await crypto.subtle.sign("HMAC", key, data));
}

/**
 * Constant-time comparison of two strings (hex digests). Lengths are not secret. Uses the
 * runtime's `crypto.subtle.timingSafeEqual` where there is one (workerd), else a XOR loop.
 */
export function timingSafeEqualStr(a: string, b: string): boolean {
	const x = encoder.encode(a);
	const y = encoder.encode(b);
	if (x.length !== y.length) return false;
	const subtle = crypto.subtle as SubtleCrypto & {
		timingSafeEqual?: (a: ArrayBufferView, b: ArrayBufferView) => boolean;
	};
	if (typeof subtle.timingSafeEqual === "function") return subtle.timingSafeEqual(x, y);
	let diff = 0;
	for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
	return diff === 0;
}

/** True when `expectedHex` is the HMAC of `message` (compared in constant time). */
export async function verifyHmacHex(
	secret: string,
	message: string | Uint8Array,
	givenHex: string,
): Promise<boolean> {
	const expected = await hmacHex(secret, message);
	return timingSafeEqualStr(expected, givenHex.trim().toLowerCase());
}

/**
 * The ln1 signature over `"{timestamp}.{body}"`, as `sha256=<hex>`: used for the
 * edge-to-origin hop (`X-Ln1-Edge-Signature`), the generic webhook scheme
 * (`X-Ln1-Signature`) and the security proxy's origin header. The orchestrator's twin is
 * `src/ln1/webhooks/signing.py`.
 */
export async function signTimestamped(
	secret: string,
	timestamp: number,
	body: string | Uint8Array,
): Promise<string> {
	const data = concatBytes(`${timestamp}.`, typeof body === "string" ? encoder.encode(body) : body);
	return `sha256=${await hmacHex(secret, data)}`;
}
