import { hmacHex, signTimestamped } from "../../../shared/hmac";
import type { Deps } from "../src/index";

export const GITHUB_SECRET = "test-github-secret";
export const STRIPE_SECRET = "whsec_test_stripe_secret";
export const SHOP_SECRET = "test-shop-secret";
export const EDGE_SECRET = "test-edge-secret";

export const nowS = () => Math.floor(Date.now() / 1000);

export async function githubRequest(
	event: string,
	payload: unknown,
	opts: { secret?: string; delivery?: string; path?: string; raw?: string } = {},
): Promise<Request> {
	const body = opts.raw ?? JSON.stringify(payload);
	return new Request(`https://edge.test${opts.path ?? "/webhooks/github"}`, {
		method: "POST",
		body,
		headers: {
			"content-type": "application/json",
			"x-github-event": event,
			"x-github-delivery": opts.delivery ?? crypto.randomUUID(),
			"x-hub-signature-256": `sha256=${await hmacHex(opts.secret ?? GITHUB_SECRET, body)}`,
		},
	});
}

export async function stripeHeader(body: string, t = nowS(), secret = STRIPE_SECRET): Promise<string> {
	return `t=${t},v1=${await hmacHex(secret, `${t}.${body}`)}`;
}

export async function stripeRequest(payload: unknown, header?: string): Promise<Request> {
	const body = JSON.stringify(payload);
	return new Request("https://edge.test/webhooks/stripe", {
		method: "POST",
		body,
		headers: { "content-type": "application/json", "stripe-signature": header ?? (await stripeHeader(body)) },
	});
}

export async function genericRequest(
	payload: unknown,
	opts: { secret?: string; ts?: number; event?: string; delivery?: string; path?: string } = {},
): Promise<Request> {
	const body = JSON.stringify(payload);
	const ts = opts.ts ?? nowS();
	return new Request(`https://edge.test${opts.path ?? "/webhooks/shop"}`, {
		method: "POST",
		body,
		headers: {
			"content-type": "application/json",
			"x-ln1-timestamp": String(ts),
			"x-ln1-signature": await signTimestamped(opts.secret ?? SHOP_SECRET, ts, body),
			"x-ln1-event": opts.event ?? "order.created",
			"x-ln1-delivery": opts.delivery ?? crypto.randomUUID(),
		},
	});
}

export interface Forwarded {
	url: string;
	headers: Headers;
	body: string;
	json: Record<string, unknown>;
}

type Answer = number | "network" | "hang" | Response;

/**
 * A stand-in for the orchestrator's POST /v1/webhooks/{source}: it checks the edge signature
 * the way the orchestrator does (HMAC-SHA256 over "timestamp.body") and answers from a script
 * (a status, a network failure, or never), then 202 for every further call.
 */
export class FakeOrigin {
	readonly calls: Forwarded[] = [];
	readonly sleeps: number[] = [];
	readonly badSignatures: number[] = [];
	private clock = Date.now();

	constructor(private readonly script: Answer[] = []) {}

	deps(): Deps {
		return {
			fetch: (async (input: RequestInfo | URL, init?: RequestInit) => this.serve(input, init)) as typeof fetch,
			sleep: async (ms: number) => {
				this.sleeps.push(ms);
				this.clock += ms;
			},
			now: () => this.clock,
			random: () => 0.5,
		};
	}

	private async serve(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
		const request = new Request(input, init);
		const body = await request.text();
		const ts = Number(request.headers.get("x-ln1-edge-timestamp"));
		const expected = await signTimestamped(EDGE_SECRET, ts, body);
		if (request.headers.get("x-ln1-edge-signature") !== expected) this.badSignatures.push(this.calls.length);
		this.calls.push({ url: request.url, headers: request.headers, body, json: JSON.parse(body) });
		const answer = this.script[this.calls.length - 1] ?? 202;
		if (answer === "network") throw new TypeError("Network connection lost.");
		if (answer === "hang") {
			// Wait for the edge's per-attempt timeout to abort us.
			return await new Promise<Response>((_, reject) => {
				init?.signal?.addEventListener("abort", () => reject(init.signal!.reason));
			});
		}
		if (answer instanceof Response) return answer;
		const dup = this.calls.filter((c) => c.json.delivery_id === this.calls.at(-1)!.json.delivery_id).length > 1;
		return new Response(JSON.stringify(answer < 300 ? { id: "whk_1", duplicate: dup } : { error: { code: "x", message: `status ${answer}` } }), {
			status: answer,
			headers: { "content-type": "application/json" },
		});
	}
}
