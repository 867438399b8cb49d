import { env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hmacHex, toHex } from "../../../shared/hmac";
import { originSignature, proxySigningString, sha256Hex, type RateLimiter } from "../src/index";
import shared from "./signature-vectors.json";

// The Worker's default export, as deployed, in this workerd (typed: no `wrangler types` here).
const entry = (exports as unknown as { default: Fetcher }).default;

type Echo = { method: string; url: string; headers: Record<string, string>; body: string };

function newKey(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(32));
	return "ln1_sk_" + btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const sha256 = async (s: string) => toHex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));

describe("keys", () => {
	it.each([
		["no Authorization", {}],
		["a Basic scheme", { authorization: "Basic dXNlcjpwYXNz" }],
		["a key of the wrong shape", { authorization: "Bearer ln1_sk_short" }],
		["a runner token", { authorization: `Bearer ${newKey().replace("ln1_sk_", "ln1_rt_")}` }],
		["two tokens", { authorization: `Bearer ${newKey()} ${newKey()}` }],
	])("refuses %s with 401", async (_, headers) => {
		const response = await entry.fetch("https://api.example/v1/threads", { headers });
		expect(response.status).toBe(401);
		expect(await response.json()).toMatchObject({ error: { code: "unauthenticated" } });
	});

	it("lets public paths through without a key", async () => {
		const response = await entry.fetch("https://api.example/healthz");
		expect(response.status).toBe(200);
		expect(((await response.json()) as Echo).url).toBe("http://api.test/healthz");
	});
});

describe("what reaches the origin", () => {
	it("passes method, path, query, body and the key; strips hop-by-hop and spoofable headers", async () => {
		const key = newKey();
		const response = await entry.fetch("https://api.example/v1/threads/t1/messages?stream=false", {
			method: "POST",
			body: JSON.stringify({ content: "ventas de octubre" }),
			headers: {
				authorization: `Bearer ${key}`,
				"content-type": "application/json",
				"cf-connecting-ip": "203.0.113.7",
				"x-forwarded-for": "10.0.0.1",
				"x-real-ip": "10.0.0.1",
				forwarded: "for=10.0.0.1",
				"x-forwarded-host": "evil.example",
				"x-ln1-proxy-signature": "sha256=forged",
				"x-ln1-edge-signature": "sha256=forged",
				"proxy-authorization": "Basic x",
				"keep-alive": "timeout=5",
				te: "trailers",
				connection: "x-secret-hop",
				"x-secret-hop": "drop me",
				"x-trace-id": "keep me",
			},
		});
		expect(response.status).toBe(200);
		expect(response.headers.get("keep-alive")).toBeNull();
		const seen = (await response.json()) as Echo;
		expect(seen.method).toBe("POST");
		expect(seen.url).toBe("http://api.test/v1/threads/t1/messages?stream=false");
		expect(JSON.parse(seen.body)).toEqual({ content: "ventas de octubre" });
		expect(seen.headers.authorization).toBe(`Bearer ${key}`);
		expect(seen.headers["x-trace-id"]).toBe("keep me");
		expect(seen.headers["x-forwarded-for"]).toBe("203.0.113.7");
		expect(seen.headers["x-forwarded-proto"]).toBe("https");
		for (const gone of ["x-real-ip", "forwarded", "x-forwarded-host", "x-ln1-edge-signature", "proxy-authorization", "keep-alive", "te", "x-secret-hop"]) {
			expect(seen.headers[gone], gone).toBeUndefined();
		}
		// The origin header is ours, not the client's forgery, and verifies.
		const ts = Number(seen.headers["x-ln1-proxy-timestamp"]);
		expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(5);
		const expected = await hmacHex(
			"test-proxy-secret",
			proxySigningString(ts, "POST", "/v1/threads/t1/messages?stream=false", await sha256(key)),
		);
		expect(seen.headers["x-ln1-proxy-signature"]).toBe(`sha256=${expected}`);
	});

	it("passes the origin's own error answers through unchanged", async () => {
		const response = await entry.fetch("https://api.example/status/503", { headers: { authorization: `Bearer ${newKey()}` } });
		expect(response.status).toBe(503);
		expect(response.headers.get("retry-after")).toBe("7");
	});
});

describe("rate limits per key", () => {
	it("answers 429 with Retry-After past the limit, and only for that key", async () => {
		const key = newKey();
		const statuses: number[] = [];
		for (let i = 0; i < 7; i++) {
			const r = await entry.fetch("https://api.example/v1/threads", { headers: { authorization: `Bearer ${key}` } });
			statuses.push(r.status);
			if (r.status === 429) {
				expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
				expect(await r.json()).toMatchObject({ error: { code: "rate_limited" } });
			} else {
				await r.arrayBuffer();
			}
		}
		expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
		const other = await entry.fetch("https://api.example/v1/threads", { headers: { authorization: `Bearer ${newKey()}` } });
		expect(other.status).toBe(200);
	});

	it("refills the bucket with time", async () => {
		const ns = (env as unknown as { RATE_LIMITER: DurableObjectNamespace<RateLimiter> }).RATE_LIMITER;
		const stub = ns.get(ns.idFromName("refill-test"));
		await runInDurableObject(stub, async (limiter: RateLimiter) => {
			const t0 = 1_000_000;
			for (let i = 0; i < 5; i++) expect((await limiter.take(5, 5, t0)).ok).toBe(true);
			const refused = await limiter.take(5, 5, t0);
			expect(refused).toMatchObject({ ok: false, retryAfterS: 12 }); // one token per 12 s
			expect((await limiter.take(5, 5, t0 + 12_000)).ok).toBe(true);
			expect((await limiter.take(5, 5, t0 + 12_000)).ok).toBe(false);
		});
	});
});

describe("the origin signature matches the orchestrator's check (shared vectors)", () => {
	// The same file drives tests/proxy/test_signing.py against src/ln1/proxy/signing.py.
	it.each(shared.vectors.map((v) => [v.name, v] as const))("%s", async (_, v) => {
		const token = v.authorization?.split(/\s+/)[1];
		const keyHash = token === undefined ? "-" : await sha256Hex(token);
		expect(keyHash).toBe(v.key_sha256);
		expect(proxySigningString(v.timestamp, v.method, v.path_and_query, keyHash)).toBe(v.signing_string);
		expect(await originSignature(shared.secret, v.timestamp, v.method, v.path_and_query, keyHash)).toBe(v.signature);
	});
});

describe("WebSocket upgrades", () => {
	async function nextMessage(ws: WebSocket): Promise<string> {
		return new Promise((resolve, reject) => {
			ws.addEventListener("message", (event) => resolve(String(event.data)), { once: true });
			ws.addEventListener("close", () => reject(new Error("closed before a message")), { once: true });
		});
	}

	it("passes the handshake to the origin, signed, and relays frames both ways", async () => {
		const key = newKey();
		const response = await entry.fetch("https://api.example/ws/echo?room=1", {
			headers: { upgrade: "websocket", authorization: `Bearer ${key}`, "sec-websocket-protocol": "ln1.v1", "x-ln1-proxy-signature": "sha256=forged" },
		});
		expect(response.status).toBe(101);
		expect(response.headers.get("x-origin")).toBe("ws-echo");
		const ws = response.webSocket!;
		const first = nextMessage(ws);
		ws.accept();
		const seen = JSON.parse(await first) as Echo;
		expect(seen.url).toBe("http://api.test/ws/echo?room=1");
		expect(seen.headers.authorization).toBe(`Bearer ${key}`);
		const ts = Number(seen.headers["x-ln1-proxy-timestamp"]);
		expect(seen.headers["x-ln1-proxy-signature"]).toBe(
			await originSignature("test-proxy-secret", ts, "GET", "/ws/echo?room=1", await sha256(key)),
		);
		const echoed = nextMessage(ws);
		ws.send("hola");
		expect(await echoed).toBe("echo:hola");
		ws.close(1000, "done");
	});

	it("refuses a handshake without a key before it reaches the origin", async () => {
		const response = await entry.fetch("https://api.example/ws/echo", { headers: { upgrade: "websocket" } });
		expect(response.status).toBe(401);
		expect(response.webSocket).toBeNull();
	});
});
