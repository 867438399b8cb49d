import { createExecutionContext, env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import examples from "@octokit/webhooks-examples/api.github.com/index.json";
import { describe, expect, it } from "vitest";
import { hmacHex } from "../../../shared/hmac";
import { makeWorker, type Env } from "../src/index";
import {
	EDGE_SECRET,
	FakeOrigin,
	GITHUB_SECRET,
	genericRequest,
	githubRequest,
	nowS,
	stripeHeader,
	stripeRequest,
} from "./helpers";

// The Worker's default export, as deployed, in this workerd (typed: no `wrangler types` here).
const entry = (exports as unknown as { default: Fetcher }).default;

type Example = { name: string; actions: string[]; examples: Record<string, unknown>[] };
const githubExamples = examples as unknown as Example[];

async function call(request: Request, origin: FakeOrigin, overrides: Partial<Env> = {}): Promise<Response> {
	const worker = makeWorker(origin.deps());
	const base = { ...(env as unknown as Env), FORWARD_BACKOFF_MS: "250" };
	return worker.fetch!(request as never, { ...base, ...overrides }, createExecutionContext());
}

// A real Stripe event's shape (checkout.session.completed, trimmed).
const stripeEvent = {
	id: "evt_1QmTestCheckoutCompleted",
	object: "event",
	api_version: "2024-06-20",
	created: 1732600000,
	type: "checkout.session.completed",
	livemode: false,
	pending_webhooks: 1,
	request: { id: null, idempotency_key: null },
	data: { object: { id: "cs_test_a1", object: "checkout.session", amount_total: 4200, currency: "eur", status: "complete" } },
};

describe("GitHub, with real payloads from @octokit/webhooks-examples", () => {
	it("has examples to test with", () => {
		expect(githubExamples.length).toBeGreaterThan(50);
	});

	it("verifies, normalises and forwards every event type", async () => {
		const origin = new FakeOrigin();
		for (const { name, examples: payloads } of githubExamples) {
			const payload = payloads[0]!;
			const delivery = crypto.randomUUID();
			const response = await call(await githubRequest(name, payload, { delivery }), origin);
			expect(response.status, name).toBe(202);
			const answer = (await response.json()) as Record<string, unknown>;
			const action = typeof payload.action === "string" ? payload.action : null;
			const event = action ? `${name}.${action}` : name;
			expect(answer).toMatchObject({ accepted: true, source: "github", event, delivery_id: delivery, attempts: 1 });
			const forwarded = origin.calls.at(-1)!;
			expect(forwarded.url).toBe("http://origin.test/v1/webhooks/github");
			expect(forwarded.json).toMatchObject({ source: "github", event, delivery_id: delivery });
			expect(forwarded.json.payload).toEqual(payload);
			expect(Object.keys(forwarded.json).sort()).toEqual(["delivery_id", "event", "payload", "received_at", "source"]);
			expect(new Date(forwarded.json.received_at as string).toISOString()).toBe(forwarded.json.received_at);
		}
		expect(origin.calls.length).toBe(githubExamples.length);
		expect(origin.badSignatures).toEqual([]);
	});

	it("signs the forwarded body with the edge secret over timestamp.body", async () => {
		const origin = new FakeOrigin();
		const push = githubExamples.find((e) => e.name === "push")!.examples[0]!;
		await call(await githubRequest("push", push), origin);
		const { headers, body } = origin.calls[0]!;
		const ts = Number(headers.get("x-ln1-edge-timestamp"));
		expect(Math.abs(ts - nowS())).toBeLessThanOrEqual(5);
		const expected = `sha256=${await hmacHex(EDGE_SECRET, `${ts}.${body}`)}`;
		expect(headers.get("x-ln1-edge-signature")).toBe(expected);
		expect(headers.get("content-type")).toBe("application/json");
	});

	it("accepts a form-encoded hook (payload=...)", async () => {
		const origin = new FakeOrigin();
		const issue = githubExamples.find((e) => e.name === "issues")!.examples[0]!;
		const body = new URLSearchParams({ payload: JSON.stringify(issue) }).toString();
		const request = new Request("https://edge.test/webhooks/github", {
			method: "POST",
			body,
			headers: {
				"content-type": "application/x-www-form-urlencoded",
				"x-github-event": "issues",
				"x-github-delivery": "d-form-1",
				"x-hub-signature-256": `sha256=${await hmacHex(GITHUB_SECRET, body)}`,
			},
		});
		const response = await call(request, origin);
		expect(response.status).toBe(202);
		expect(origin.calls[0]!.json.payload).toEqual(issue);
	});

	it("routes an event to a company: /webhooks/github/{company}", async () => {
		const origin = new FakeOrigin();
		const ping = githubExamples.find((e) => e.name === "ping")!.examples[0]!;
		const response = await call(await githubRequest("ping", ping, { path: "/webhooks/github/acme-sa" }), origin);
		expect(response.status).toBe(202);
		expect(origin.calls[0]!.json.company).toBe("acme-sa");
	});

	const payload = githubExamples.find((e) => e.name === "issues")!.examples[0]!;
	it.each([
		["no signature", async () => {
			const r = await githubRequest("issues", payload);
			r.headers.delete("x-hub-signature-256");
			return r;
		}],
		["a signature made with another secret", () => githubRequest("issues", payload, { secret: "wrong" })],
		["a malformed signature", async () => {
			const r = await githubRequest("issues", payload);
			r.headers.set("x-hub-signature-256", "sha1=abc");
			return r;
		}],
		["a tampered body", async () => {
			const good = await githubRequest("issues", payload);
			const sig = good.headers.get("x-hub-signature-256")!;
			const r = await githubRequest("issues", { ...payload, action: "deleted" });
			r.headers.set("x-hub-signature-256", sig);
			return r;
		}],
	])("answers 401 with a JSON error for %s, and forwards nothing", async (_, make) => {
		const origin = new FakeOrigin();
		const response = await call(await make(), origin);
		expect(response.status).toBe(401);
		expect(response.headers.get("content-type")).toMatch(/application\/json/);
		const body = (await response.json()) as { error: { code: string; message: string } };
		expect(body.error.code).toBe("bad_signature");
		expect(origin.calls).toEqual([]);
	});

	it("answers 400 for a signed request without X-GitHub-Delivery", async () => {
		const origin = new FakeOrigin();
		const r = await githubRequest("issues", payload);
		r.headers.delete("x-github-delivery");
		const response = await call(r, origin);
		expect(response.status).toBe(400);
		expect(origin.calls).toEqual([]);
	});

	it("answers 400 for a signed body that is not JSON", async () => {
		const response = await call(await githubRequest("issues", null, { raw: "{not json" }), new FakeOrigin());
		expect(response.status).toBe(400);
		expect(await response.json()).toMatchObject({ error: { code: "bad_request" } });
	});
});

describe("Stripe", () => {
	it("verifies t=…,v1=… and forwards type and id", async () => {
		const origin = new FakeOrigin();
		const response = await call(await stripeRequest(stripeEvent), origin);
		expect(response.status).toBe(202);
		expect(origin.calls[0]!.json).toMatchObject({
			source: "stripe",
			event: "checkout.session.completed",
			delivery_id: "evt_1QmTestCheckoutCompleted",
			payload: stripeEvent,
		});
	});

	it("accepts any of several v1 signatures (a secret being rolled)", async () => {
		const body = JSON.stringify(stripeEvent);
		const t = nowS();
		const good = await hmacHex("whsec_test_stripe_secret", `${t}.${body}`);
		const other = await hmacHex("whsec_old", `${t}.${body}`);
		const response = await call(await stripeRequest(stripeEvent, `t=${t},v1=${other},v1=${good},v0=abc`), new FakeOrigin());
		expect(response.status).toBe(202);
	});

	it.each([
		["older than the tolerance", -301],
		["further in the future than the tolerance", 301],
	])("refuses a timestamp %s", async (_, skew) => {
		const body = JSON.stringify(stripeEvent);
		const response = await call(await stripeRequest(stripeEvent, await stripeHeader(body, nowS() + skew)), new FakeOrigin());
		expect(response.status).toBe(401);
		expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/tolerance/);
	});

	it("honours SIGNATURE_TOLERANCE_S", async () => {
		const body = JSON.stringify(stripeEvent);
		const request = await stripeRequest(stripeEvent, await stripeHeader(body, nowS() - 100));
		expect((await call(request, new FakeOrigin(), { SIGNATURE_TOLERANCE_S: "60" })).status).toBe(401);
	});

	it.each([
		["missing header", ""],
		["no v1", `t=${Math.floor(Date.now() / 1000)}`],
		["no t", "v1=" + "a".repeat(64)],
		["wrong secret", null],
	])("refuses %s", async (_, header) => {
		const body = JSON.stringify(stripeEvent);
		const value = header === null ? await stripeHeader(body, nowS(), "whsec_wrong") : header;
		const request = await stripeRequest(stripeEvent, value || "x");
		if (header === "") request.headers.delete("stripe-signature");
		const response = await call(request, new FakeOrigin());
		expect(response.status).toBe(401);
	});
});

describe("the generic ln1 scheme (X-Ln1-Signature over timestamp.body)", () => {
	it("forwards a signed event of a configured source", async () => {
		const origin = new FakeOrigin();
		const order = { order_id: 1042, total: "99.90", customer: { name: "Ana" } };
		const response = await call(await genericRequest(order, { delivery: "ord-1042-created" }), origin);
		expect(response.status).toBe(202);
		expect(origin.calls[0]!.url).toBe("http://origin.test/v1/webhooks/shop");
		expect(origin.calls[0]!.json).toMatchObject({ source: "shop", event: "order.created", delivery_id: "ord-1042-created", payload: order });
	});

	it("refuses a bad signature, a stale timestamp and missing headers", async () => {
		const origin = new FakeOrigin();
		expect((await call(await genericRequest({ a: 1 }, { secret: "nope" }), origin)).status).toBe(401);
		expect((await call(await genericRequest({ a: 1 }, { ts: nowS() - 3600 }), origin)).status).toBe(401);
		const r = await genericRequest({ a: 1 });
		r.headers.delete("x-ln1-timestamp");
		expect((await call(r, origin)).status).toBe(401);
		const noEvent = await genericRequest({ a: 1 });
		noEvent.headers.delete("x-ln1-event");
		expect((await call(noEvent, origin)).status).toBe(400);
		expect(origin.calls).toEqual([]);
	});

	it("answers 404 for a source with no secret configured, and for a malformed source", async () => {
		const origin = new FakeOrigin();
		const unknown = await call(await genericRequest({ a: 1 }, { path: "/webhooks/crm" }), origin);
		expect(unknown.status).toBe(404);
		expect(await unknown.json()).toMatchObject({ error: { code: "unknown_source" } });
		const malformed = await call(await genericRequest({ a: 1 }, { path: "/webhooks/Not.A.Source" }), origin);
		expect(malformed.status).toBe(404);
		expect(origin.calls).toEqual([]);
	});
});

describe("forwarding to the origin", () => {
	const issue = githubExamples.find((e) => e.name === "issues")!.examples[0]!;

	it("retries 5xx and network errors with growing back-off, then answers 202", async () => {
		const origin = new FakeOrigin([503, "network", 500]);
		const response = await call(await githubRequest("issues", issue, { delivery: "d-retry" }), origin);
		expect(response.status).toBe(202);
		expect(((await response.json()) as { attempts: number }).attempts).toBe(4);
		expect(origin.calls.map((c) => c.json.delivery_id)).toEqual(["d-retry", "d-retry", "d-retry", "d-retry"]);
		// random() = 0.5 → ¾ of 250, 500, 1000 ms
		expect(origin.sleeps).toEqual([187.5, 375, 750]);
		// every attempt is signed afresh and correctly
		expect(origin.badSignatures).toEqual([]);
	});

	it("answers 502 when the origin never accepts, after a bounded number of attempts", async () => {
		const origin = new FakeOrigin([503, 503, 503, 503, 503, 503]);
		const response = await call(await githubRequest("issues", issue), origin, { FORWARD_ATTEMPTS: "3" });
		expect(response.status).toBe(502);
		const body = (await response.json()) as { error: Record<string, unknown> };
		expect(body.error).toMatchObject({ code: "origin_unavailable", attempts: 3, origin_status: 503 });
		expect(origin.calls.length).toBe(3);
	});

	it("does not retry a 4xx refusal (other than 429) and answers 502 with the origin's error", async () => {
		const origin = new FakeOrigin([401]);
		const response = await call(await githubRequest("issues", issue), origin);
		expect(response.status).toBe(502);
		expect(origin.calls.length).toBe(1);
		expect(((await response.json()) as { error: { origin_status: number } }).error.origin_status).toBe(401);
	});

	it("retries 429 and waits at least its Retry-After", async () => {
		const limited = new Response("{}", { status: 429, headers: { "retry-after": "1" } });
		const origin = new FakeOrigin([limited]);
		const response = await call(await githubRequest("issues", issue), origin);
		expect(response.status).toBe(202);
		expect(origin.sleeps).toEqual([1000]);
	});

	it("times out an attempt that hangs and tries again", async () => {
		const origin = new FakeOrigin(["hang"]);
		const response = await call(await githubRequest("issues", issue), origin, { FORWARD_ATTEMPT_TIMEOUT_MS: "50" });
		expect(response.status).toBe(202);
		expect(origin.calls.length).toBe(2);
	});

	it("stops retrying when the deadline would pass", async () => {
		const origin = new FakeOrigin(Array(10).fill(503));
		const response = await call(await githubRequest("issues", issue), origin, {
			FORWARD_ATTEMPTS: "10",
			FORWARD_DEADLINE_MS: "1000",
		});
		expect(response.status).toBe(502);
		// back-offs 187.5 + 375 = 562.5 ms; the next (750) would cross 1000 ms
		expect(origin.calls.length).toBe(3);
		expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/deadline/);
	});

	it("passes on the origin's word that the delivery was a duplicate", async () => {
		const origin = new FakeOrigin();
		const first = await call(await githubRequest("issues", issue, { delivery: "d-dup" }), origin);
		const again = await call(await githubRequest("issues", issue, { delivery: "d-dup" }), origin);
		expect(((await first.json()) as { duplicate: boolean }).duplicate).toBe(false);
		expect(((await again.json()) as { duplicate: boolean }).duplicate).toBe(true);
	});

	it("answers 503 when EDGE_SECRET is not set", async () => {
		const response = await call(await githubRequest("issues", issue), new FakeOrigin(), { EDGE_SECRET: "" });
		expect(response.status).toBe(503);
	});
});

describe("the deployed entry point (exports.default in workerd)", () => {
	it("answers 401 for an unsigned GitHub hook", async () => {
		const response = await entry.fetch("https://edge.test/webhooks/github", {
			method: "POST",
			body: "{}",
			headers: { "x-github-event": "ping", "x-github-delivery": "x" },
		});
		expect(response.status).toBe(401);
		expect(await response.json()).toMatchObject({ error: { code: "bad_signature" } });
	});

	it("answers 404 off its routes, 405 for GET and 413 for a huge body", async () => {
		expect((await entry.fetch("https://edge.test/")).status).toBe(404);
		expect((await entry.fetch("https://edge.test/webhooks/github")).status).toBe(405);
		const big = await entry.fetch("https://edge.test/webhooks/github", { method: "POST", body: "x".repeat(1024 * 1024 + 1) });
		expect(big.status).toBe(413);
	});

	async function signedPing(delivery: string, path = "/webhooks/github"): Promise<Response> {
		const body = JSON.stringify(githubExamples.find((e) => e.name === "ping")!.examples[0]);
		return entry.fetch(`https://edge.test${path}`, {
			method: "POST",
			body,
			headers: {
				"content-type": "application/json",
				"x-github-event": "ping",
				"x-github-delivery": delivery,
				"x-hub-signature-256": `sha256=${await hmacHex(GITHUB_SECRET, body)}`,
			},
		});
	}

	it("forwards over workerd's real fetch to an origin that checks the edge signature", async () => {
		const response = await signedPing("d-entry-1");
		expect(response.status).toBe(202);
		expect(await response.json()).toMatchObject({ accepted: true, event: "ping", duplicate: false, origin_status: 202 });
		const again = await signedPing("d-entry-1");
		expect(await again.json()).toMatchObject({ accepted: true, duplicate: true });
	});

	it("answers 502 when the origin stays down through every retry", async () => {
		const response = await signedPing("down-1");
		expect(response.status).toBe(502);
		expect(await response.json()).toMatchObject({ error: { code: "origin_unavailable", attempts: 4, origin_status: 503 } });
	});
});
