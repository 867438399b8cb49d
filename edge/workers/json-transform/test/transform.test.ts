import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import examples from "@octokit/webhooks-examples/api.github.com/index.json";
import { describe, expect, it } from "vitest";
import { handle, type Env } from "../src/index";
import { applyRules, parseRules, RuleError, TransformError, type Json } from "../src/rules";

// The Worker's default export, as deployed, in this workerd (typed: no `wrangler types` here).
const entry = (exports as unknown as { default: Fetcher }).default;

const post = (path: string, body: unknown, contentType = "application/json") =>
	entry.fetch(`https://edge.test${path}`, {
		method: "POST",
		body: typeof body === "string" ? body : JSON.stringify(body),
		headers: { "content-type": contentType },
	});

const inline = (rules: unknown, input: unknown) => post("/transform", { rules, input });

async function errorOf(response: Response): Promise<{ code: string; message: string; problems?: string[] }> {
	return ((await response.json()) as { error: { code: string; message: string; problems?: string[] } }).error;
}

describe("the rules", () => {
	const t = (doc: Json, rules: unknown) => applyRules(structuredClone(doc), parseRules(rules));

	it("rename moves a value, creating parents; a missing source is a no-op", () => {
		expect(t({ a: { b: 1 }, c: 2 }, [{ op: "rename", from: "a.b", to: "x.y" }])).toEqual({ a: {}, c: 2, x: { y: 1 } });
		expect(t({ c: 2 }, [{ op: "rename", from: "a", to: "b" }])).toEqual({ c: 2 });
		expect(t({ list: [{ n: 1 }] }, [{ op: "rename", from: "list.0.n", to: "first" }])).toEqual({ list: [{}], first: 1 });
	});

	it("pick keeps only the named paths, nested structure included", () => {
		const doc = { id: 7, secret: "x", customer: { name: "Ana", email: "a@x" }, items: [1, 2] };
		expect(t(doc, [{ op: "pick", paths: ["id", "customer.name", "items", "missing"] }])).toEqual({
			id: 7,
			customer: { name: "Ana" },
			items: [1, 2],
		});
	});

	it("omit drops paths, wildcards included", () => {
		const doc = { a: 1, items: [{ p: 1, cost: 2 }, { p: 3, cost: 4 }] };
		expect(t(doc, [{ op: "omit", paths: ["a", "items.*.cost"] }])).toEqual({ items: [{ p: 1 }, { p: 3 }] });
	});

	it("cast converts strings, numbers and booleans, over wildcards, and leaves null alone", () => {
		const doc = { total: "42.50", n: "7", ok: "yes", id: 12, none: null, items: [{ q: "1" }, { q: "2" }] };
		expect(
			t(doc, [
				{ op: "cast", path: "total", to: "number" },
				{ op: "cast", path: "n", to: "integer" },
				{ op: "cast", path: "ok", to: "boolean" },
				{ op: "cast", path: "id", to: "string" },
				{ op: "cast", path: "none", to: "number" },
				{ op: "cast", path: "items.*.q", to: "integer" },
			]),
		).toEqual({ total: 42.5, n: 7, ok: true, id: "12", none: null, items: [{ q: 1 }, { q: 2 }] });
	});

	it("cast refuses what it cannot convert, naming rule and path", () => {
		expect(() => t({ items: [{ q: "1" }, { q: "lots" }] }, [{ op: "cast", path: "items.*.q", to: "integer" }])).toThrow(
			/rules\[0\] \(cast\): cannot cast "lots" at items\.1\.q to integer/,
		);
		expect(() => t({ x: "1.5" }, [{ op: "cast", path: "x", to: "integer" }])).toThrow(TransformError);
		expect(() => t({ x: { a: 1 } }, [{ op: "cast", path: "x", to: "string" }])).toThrow(TransformError);
	});

	it("default fills missing or null values only, over wildcards too", () => {
		const doc = { a: null, b: 0, items: [{}, { c: "x" }] } as Json;
		expect(
			t(doc, [
				{ op: "default", path: "a", value: "A" },
				{ op: "default", path: "b", value: 9 },
				{ op: "default", path: "new.deep", value: { v: 1 } },
				{ op: "default", path: "items.*.c", value: "none" },
			]),
		).toEqual({ a: "A", b: 0, new: { deep: { v: 1 } }, items: [{ c: "none" }, { c: "x" }] });
	});

	it("flatten joins nested keys, at the root or at a path, keeping arrays", () => {
		const doc = { id: 1, customer: { name: "Ana", address: { city: "Lima" } }, tags: ["a"] };
		expect(t(doc, [{ op: "flatten" }])).toEqual({ id: 1, "customer.name": "Ana", "customer.address.city": "Lima", tags: ["a"] });
		expect(t(doc, [{ op: "flatten", path: "customer", separator: "_" }])).toEqual({
			id: 1,
			customer: { name: "Ana", address_city: "Lima" },
			tags: ["a"],
		});
	});

	it("keeps a __proto__ key in the input a plain key (no prototype pollution)", () => {
		const doc = JSON.parse('{"a": {"__proto__": {"polluted": true}}}') as Json;
		const out = t(doc, [{ op: "flatten" }]) as Record<string, unknown>;
		expect(Object.keys(out)).toEqual(["a.__proto__.polluted"]);
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
	});

	it("lists every problem of invalid rules", () => {
		try {
			parseRules([
				{ op: "explode" },
				{ op: "rename", from: "a" },
				{ op: "cast", path: "x", to: "date" },
				{ op: "pick", paths: [] },
				{ op: "default", path: "a..b" },
				{ op: "rename", from: "__proto__.x", to: "y" },
				{ op: "pick", paths: ["items.*"] },
				{ op: "omit", paths: ["a"], extra: 1 },
				"rename",
			]);
			expect.unreachable();
		} catch (err) {
			expect(err).toBeInstanceOf(RuleError);
			const problems = (err as RuleError).problems;
			expect(problems).toEqual([
				"rules[0].op must be one of rename, pick, omit, cast, default, flatten",
				"rules[1].to must be a non-empty string",
				"rules[2].to must be one of string, number, integer, boolean",
				"rules[3].paths must be a non-empty array of paths",
				'rules[4].path "a..b" has an empty segment',
				"rules[4].value is required",
				'rules[5].from "__proto__.x" uses a forbidden key',
				'rules[6].paths[0] "items.*" may not use *',
				'rules[7] (omit) has an unknown field "extra"',
				"rules[8] must be an object",
			]);
		}
		expect(() => parseRules({ op: "pick" })).toThrow(/must be an array/);
		expect(() => parseRules(Array(101).fill({ op: "flatten" }))).toThrow(/at most 100/);
	});
});

describe("POST /transform (inline rules)", () => {
	it("answers 200 with the output", async () => {
		const response = await inline([{ op: "rename", from: "a", to: "b" }], { a: 1 });
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({ output: { b: 1 } });
	});

	it("answers 400 for a body that is not JSON, or not UTF-8", async () => {
		const response = await post("/transform", "{rules: nope");
		expect(response.status).toBe(400);
		expect(await errorOf(response)).toMatchObject({ code: "bad_json" });
		const latin1 = await entry.fetch("https://edge.test/transform", {
			method: "POST",
			body: new Uint8Array([0x7b, 0x22, 0xe9, 0x22, 0x7d]),
			headers: { "content-type": "application/json" },
		});
		expect(latin1.status).toBe(400);
	});

	it("answers 415 for a body that is not application/json", async () => {
		for (const type of ["text/plain", "application/x-www-form-urlencoded", ""]) {
			const response = await post("/transform", { rules: [], input: {} }, type);
			expect(response.status, type).toBe(415);
			expect(await errorOf(response)).toMatchObject({ code: "unsupported_media_type" });
		}
		expect((await post("/transform", { rules: [], input: {} }, "application/json; charset=utf-8")).status).toBe(200);
		expect((await post("/transform", { rules: [], input: {} }, "application/vnd.api+json")).status).toBe(200);
	});

	it("answers 422 with the list of problems for invalid rules", async () => {
		const response = await inline([{ op: "cast", path: "x", to: "date" }, { op: "nope" }], { x: 1 });
		expect(response.status).toBe(422);
		const error = await errorOf(response);
		expect(error.code).toBe("invalid_rules");
		expect(error.problems).toHaveLength(2);
	});

	it("answers 422 for a document the rules cannot apply to", async () => {
		const failed = await inline([{ op: "cast", path: "n", to: "number" }], { n: "many" });
		expect(failed.status).toBe(422);
		expect(await errorOf(failed)).toMatchObject({ code: "transform_failed" });
		const notObject = await inline([], [1, 2]);
		expect(notObject.status).toBe(422);
		expect((await errorOf(notObject)).message).toMatch(/must be a JSON object/);
	});

	it("answers 422 for a request that is not {rules, input}", async () => {
		expect((await post("/transform", [1])).status).toBe(422);
		expect((await post("/transform", { rules: [] })).status).toBe(422);
		expect((await post("/transform", { rules: [], input: {}, extra: 1 })).status).toBe(422);
	});

	it("answers 413 for a body over the limit, 405 for GET, 404 elsewhere", async () => {
		expect((await post("/transform", `{"rules":[],"input":"${"x".repeat(1024 * 1024)}"}`)).status).toBe(413);
		expect((await entry.fetch("https://edge.test/transform")).status).toBe(405);
		expect((await entry.fetch("https://edge.test/other", { method: "POST" })).status).toBe(404);
	});

	it("can be switched off", async () => {
		const request = new Request("https://edge.test/transform", {
			method: "POST",
			body: JSON.stringify({ rules: [], input: {} }),
			headers: { "content-type": "application/json" },
		});
		await expect(handle(request, { ...(env as Env), ALLOW_INLINE_RULES: "false" })).rejects.toMatchObject({ status: 404 });
	});
});

describe("POST /transform/{name} (rule sets from wrangler.toml)", () => {
	it("applies the configured order-to-row set", async () => {
		const order = {
			id: 450789469,
			created_at: "2026-11-20T10:00:00Z",
			total_price: "199.00",
			customer: { first_name: "Ana", last_name: "Rojas", address: { city: "Lima" } },
			line_items: [{ sku: "A1", quantity: "2" }, { sku: "B7", quantity: 1 }],
			note: "internal",
		};
		const response = await post("/transform/order-to-row", order);
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({
			id: 450789469,
			created_at: "2026-11-20T10:00:00Z",
			total: 199,
			currency: "EUR",
			customer: { first_name: "Ana", last_name: "Rojas", address_city: "Lima" },
			line_items: [{ sku: "A1", quantity: 2 }, { sku: "B7", quantity: 1 }],
		});
	});

	it("applies github-issue to a real GitHub issues payload", async () => {
		const issues = (examples as unknown as { name: string; examples: Record<string, any>[] }[]).find((e) => e.name === "issues")!;
		const payload = issues.examples[0]!;
		const response = await post("/transform/github-issue", payload);
		expect(response.status).toBe(200);
		expect(await response.json()).toEqual({
			action: payload.action,
			"issue.number": payload.issue.number,
			"issue.title": payload.issue.title,
			"issue.user.login": payload.issue.user.login,
			"repository.full_name": payload.repository.full_name,
		});
	});

	it("answers 404 for an unknown rule set", async () => {
		const response = await post("/transform/nope", {});
		expect(response.status).toBe(404);
		expect(await errorOf(response)).toMatchObject({ code: "unknown_transform" });
		expect((await post("/transform/__proto__", {})).status).toBe(404);
	});

	it("answers 500 (its configuration, not the caller) for an invalid configured set", async () => {
		const request = new Request("https://edge.test/transform/broken", {
			method: "POST",
			body: "{}",
			headers: { "content-type": "application/json" },
		});
		await expect(handle(request, { TRANSFORMS: { broken: [{ op: "nope" }] } })).rejects.toMatchObject({
			status: 500,
			code: "misconfigured",
		});
		await expect(handle(request.clone(), { TRANSFORMS: "{not json" })).rejects.toMatchObject({ status: 500 });
		// A JSON string (e.g. from `wrangler secret put`) works as well as a TOML table.
		const ok = await handle(request.clone(), { TRANSFORMS: JSON.stringify({ broken: [{ op: "default", path: "a", value: 1 }] }) });
		expect(await ok.json()).toEqual({ a: 1 });
	});
});
