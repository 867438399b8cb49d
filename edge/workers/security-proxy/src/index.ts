// security-proxy: in front of the orchestrator's API.
//
// - Refuses (401) a request whose `Authorization: Bearer` is not a well-formed ln1 key
//   (`ln1_sk_` + 43 URL-safe characters: user API keys; the origin still checks the key
//   itself). Unauthenticated paths (PUBLIC_PATHS, default /healthz and /readyz) pass without.
// - Rate-limits per key: a token bucket per key (by its SHA-256, never the key itself) in a
//   Durable Object, so the limit holds across every edge location and isolate; over it → 429
//   with Retry-After.
// - Strips hop-by-hop headers (and any the Connection header names) and headers a client
//   could spoof (X-Forwarded-*, Forwarded, X-Real-IP, True-Client-IP, X-Ln1-Proxy-*,
//   X-Ln1-Edge-*), then sets X-Forwarded-For / X-Forwarded-Proto from what Cloudflare saw.
// - Adds a signed origin header so the orchestrator can refuse traffic that did not come
//   through the proxy: X-Ln1-Proxy-Timestamp and
//   X-Ln1-Proxy-Signature = sha256=<hex HMAC-SHA256(PROXY_SECRET, "<ts>.<METHOD>.<path?query>.<key sha256>")>.
//   The body is not signed (uploads stream through unbuffered); TLS covers it in transit.
//   The orchestrator checks it with LN1_REQUIRE_EDGE_PROXY=true (src/ln1/proxy/), with
//   LN1_EDGE_SECRET = PROXY_SECRET; test/signature-vectors.json holds vectors both sides pass.
// - Passes WebSocket upgrades through (Upgrade: websocket is the one hop-by-hop header kept,
//   and the origin's socket is handed back to the client), signed like any other request.
//   The runner tunnel (WS /v1/runners/connect) does not come this way: runners dial the
//   orchestrator directly with a runner token, which this proxy refuses (see the README).

import { DurableObject } from "cloudflare:workers";
import { hmacHex, toHex } from "../../../shared/hmac";
import { HttpError, errorResponse } from "../../../shared/http";

export interface Env {
	ORIGIN_URL: string;
	PROXY_SECRET?: string;
	RATE_LIMIT_PER_MINUTE?: string;
	RATE_LIMIT_BURST?: string;
	PUBLIC_PATHS?: string;
	RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
}

export const KEY_RE = /^ln1_sk_[A-Za-z0-9_-]{43}$/;

const HOP_BY_HOP = [
	"connection",
	"keep-alive",
	"proxy-authenticate",
	"proxy-authorization",
	"proxy-connection",
	"te",
	"trailer",
	"transfer-encoding",
	"upgrade",
];
const SPOOFABLE = ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "true-client-ip", "x-client-ip"];
const OWN_PREFIXES = ["x-ln1-proxy-", "x-ln1-edge-"];

/** A token bucket: `rate` tokens a minute, at most `burst` at once. One instance per key. */
export class RateLimiter extends DurableObject {
	private tokens = -1;
	private updated = 0;

	async take(ratePerMinute: number, burst: number, now = Date.now()): Promise<{ ok: boolean; retryAfterS: number; remaining: number }> {
		if (this.tokens < 0) {
			this.tokens = burst;
			this.updated = now;
		}
		const perMs = ratePerMinute / 60_000;
		this.tokens = Math.min(burst, this.tokens + (now - this.updated) * perMs);
		this.updated = now;
		if (this.tokens >= 1) {
			this.tokens -= 1;
			return { ok: true, retryAfterS: 0, remaining: Math.floor(this.tokens) };
		}
		return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - this.tokens) / perMs / 1000)), remaining: 0 };
	}
}

function num(value: string | undefined, fallback: number): number {
	const n = value ? Number(value) : NaN;
	return Number.isFinite(n) && n > 0 ? n : fallback;
}

export async function sha256Hex(value: string): Promise<string> {
	return toHex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)));
}

/** The string the origin header signs; the orchestrator rebuilds it the same way. */
export function proxySigningString(ts: number, method: string, pathAndQuery: string, keyHash: string): string {
	return `${ts}.${method.toUpperCase()}.${pathAndQuery}.${keyHash}`;
}

/** `X-Ln1-Proxy-Signature` for one request; `keyHash` is the key's SHA-256 hex, or "-" without one. */
export async function originSignature(
	secret: string,
	ts: number,
	method: string,
	pathAndQuery: string,
	keyHash: string,
): Promise<string> {
	return `sha256=${await hmacHex(secret, proxySigningString(ts, method, pathAndQuery, keyHash))}`;
}

/** True for a WebSocket handshake (`Upgrade: websocket`, any case). */
export function isWebSocketUpgrade(headers: Headers): boolean {
	return (headers.get("upgrade") ?? "").trim().toLowerCase() === "websocket";
}

export function cleanHeaders(incoming: Headers): Headers {
	const headers = new Headers(incoming);
	const named = (incoming.get("connection") ?? "")
		.split(",")
		.map((h) => h.trim().toLowerCase())
		.filter(Boolean);
	for (const name of [...HOP_BY_HOP, ...SPOOFABLE, ...named]) headers.delete(name);
	for (const name of [...headers.keys()]) {
		if (OWN_PREFIXES.some((p) => name.startsWith(p))) headers.delete(name);
	}
	return headers;
}

export async function handle(request: Request, env: Env): Promise<Response> {
	if (!env.PROXY_SECRET || !env.ORIGIN_URL) {
		throw new HttpError(503, "not_configured", "PROXY_SECRET and ORIGIN_URL must be set");
	}
	const url = new URL(request.url);
	const publicPaths = (env.PUBLIC_PATHS ?? "/healthz,/readyz").split(",").map((p) => p.trim());
	const isPublic = publicPaths.includes(url.pathname);

	let keyHash = "-";
	const auth = request.headers.get("authorization");
	if (!isPublic || auth) {
		const [scheme, token, ...rest] = (auth ?? "").trim().split(/\s+/);
		if (scheme?.toLowerCase() !== "bearer" || !token || rest.length || !KEY_RE.test(token)) {
			throw new HttpError(401, "unauthenticated", "missing or malformed API key: send 'Authorization: Bearer ln1_sk_…'");
		}
		keyHash = await sha256Hex(token);
		const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(keyHash));
		const rate = num(env.RATE_LIMIT_PER_MINUTE, 120);
		const verdict = await limiter.take(rate, num(env.RATE_LIMIT_BURST, rate));
		if (!verdict.ok) {
			return errorResponse(429, "rate_limited", `more than ${rate} requests a minute with this key`, {}, { "retry-after": String(verdict.retryAfterS) });
		}
	}

	const headers = cleanHeaders(request.headers);
	const webSocket = isWebSocketUpgrade(request.headers);
	// The runtime does the handshake with the origin itself when a fetch carries this header.
	if (webSocket) headers.set("upgrade", "websocket");
	const clientIp = request.headers.get("cf-connecting-ip");
	if (clientIp) headers.set("x-forwarded-for", clientIp);
	headers.set("x-forwarded-proto", url.protocol.replace(":", ""));
	const ts = Math.floor(Date.now() / 1000);
	const pathAndQuery = url.pathname + url.search;
	headers.set("x-ln1-proxy-timestamp", String(ts));
	headers.set("x-ln1-proxy-signature", await originSignature(env.PROXY_SECRET, ts, request.method, pathAndQuery, keyHash));

	const target = new URL(pathAndQuery, env.ORIGIN_URL);
	const hasBody = request.method !== "GET" && request.method !== "HEAD";
	let response: Response;
	try {
		response = await fetch(target, { method: request.method, headers, body: hasBody ? request.body : null, redirect: "manual" });
	} catch (err) {
		throw new HttpError(502, "origin_unavailable", `the API could not be reached: ${String(err)}`);
	}
	if (webSocket && response.webSocket) {
		// 101 from the origin: hand its socket to the client; the runtime relays the frames.
		// Its handshake headers are the runtime's to write; the rest (subprotocol, trace id) pass.
		const passed = new Headers(response.headers);
		for (const name of [...HOP_BY_HOP, "sec-websocket-accept", "sec-websocket-extensions"]) passed.delete(name);
		return new Response(null, { status: 101, webSocket: response.webSocket, headers: passed });
	}
	const out = new Response(response.body, response);
	for (const name of HOP_BY_HOP) out.headers.delete(name);
	return out;
}

export default {
	async fetch(request, env) {
		try {
			return await handle(request, env);
		} catch (err) {
			if (err instanceof HttpError) return err.toResponse();
			console.error("security-proxy: unexpected error", err);
			return errorResponse(500, "internal_error", "internal error");
		}
	},
} satisfies ExportedHandler<Env>;
