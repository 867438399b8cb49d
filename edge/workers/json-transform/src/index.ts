// json-transform: applies declarative mapping rules (src/rules.ts) to JSON bodies.
//
//   POST /transform/{name}   body: the document; rules: the rule set {name} of TRANSFORMS
//   POST /transform          body: {"rules": [...], "input": <document>} (ad-hoc, for trying
//                            rules out; off when ALLOW_INLINE_RULES = "false")
//
// Rule sets live in the Worker's configuration (wrangler.toml [vars] TRANSFORMS, a JSON
// object {name: rules}), so they are versioned and deployed with the Worker and a caller can
// only choose among them. Answers: 200 {"output"} or the document itself (named sets, so the
// Worker can sit in front of a JSON consumer), 400 not JSON, 404 unknown rule set, 405 not
// POST, 413 too large, 415 not application/json, 422 invalid rules or a document the rules
// cannot apply to, 500 a rule set in the configuration is invalid.

import { HttpError, errorResponse, isJsonContentType, json, readBody } from "../../../shared/http";
import { RuleError, TransformError, applyRules, parseRules, type Json, type Rule } from "./rules";

export interface Env {
	TRANSFORMS?: string | Record<string, unknown>;
	ALLOW_INLINE_RULES?: string;
	MAX_BODY_BYTES?: string;
}

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function ruleSets(env: Env): Record<string, unknown> {
	const raw = env.TRANSFORMS ?? {};
	let value: unknown = raw;
	if (typeof raw === "string") {
		try {
			value = JSON.parse(raw);
		} catch {
			throw new HttpError(500, "misconfigured", "TRANSFORMS is not valid JSON");
		}
	}
	if (typeof value !== "object" || value === null || Array.isArray(value)) {
		throw new HttpError(500, "misconfigured", "TRANSFORMS must be a JSON object {name: rules}");
	}
	return value as Record<string, unknown>;
}

async function readJson(request: Request, env: Env): Promise<unknown> {
	if (!isJsonContentType(request.headers.get("content-type"))) {
		throw new HttpError(415, "unsupported_media_type", "send the body as application/json");
	}
	const limit = Number(env.MAX_BODY_BYTES ?? "") || 1024 * 1024;
	const body = await readBody(request, limit);
	try {
		return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body));
	} catch (err) {
		const detail = err instanceof SyntaxError ? err.message : "not UTF-8";
		throw new HttpError(400, "bad_json", `the body is not valid JSON: ${detail}`);
	}
}

function run(document: unknown, rules: Rule[]): Json {
	try {
		return applyRules(document as Json, rules);
	} catch (err) {
		if (err instanceof TransformError) throw new HttpError(422, "transform_failed", err.message);
		throw err;
	}
}

export async function handle(request: Request, env: Env): Promise<Response> {
	const { pathname } = new URL(request.url);
	const parts = pathname.split("/").filter(Boolean);
	if (parts[0] !== "transform" || parts.length > 2) {
		throw new HttpError(404, "not_found", "no such route: POST /transform/{name} or POST /transform");
	}
	if (request.method !== "POST") {
		return errorResponse(405, "method_not_allowed", "transforms are POSTed", {}, { allow: "POST" });
	}
	if (parts.length === 2) {
		const name = decodeURIComponent(parts[1]!);
		const sets = ruleSets(env);
		if (!NAME_RE.test(name) || !Object.prototype.hasOwnProperty.call(sets, name)) {
			throw new HttpError(404, "unknown_transform", `no rule set named ${JSON.stringify(name)}`);
		}
		let rules: Rule[];
		try {
			rules = parseRules(sets[name]);
		} catch (err) {
			if (err instanceof RuleError) {
				throw new HttpError(500, "misconfigured", `rule set ${name} is invalid: ${err.message}`);
			}
			throw err;
		}
		const document = await readJson(request, env);
		return json(run(document, rules));
	}
	if (env.ALLOW_INLINE_RULES === "false") {
		throw new HttpError(404, "not_found", "inline rules are disabled: use POST /transform/{name}");
	}
	const body = await readJson(request, env);
	if (typeof body !== "object" || body === null || Array.isArray(body)) {
		throw new HttpError(422, "invalid_request", 'the body must be {"rules": [...], "input": {...}}');
	}
	const { rules: rawRules, input, ...rest } = body as Record<string, unknown>;
	if (Object.keys(rest).length) {
		throw new HttpError(422, "invalid_request", `unknown fields: ${Object.keys(rest).join(", ")}`);
	}
	if (input === undefined) throw new HttpError(422, "invalid_request", "input is required");
	let rules: Rule[];
	try {
		rules = parseRules(rawRules);
	} catch (err) {
		if (err instanceof RuleError) {
			throw new HttpError(422, "invalid_rules", err.message, { problems: err.problems });
		}
		throw err;
	}
	return json({ output: run(input, rules) });
}

export default {
	async fetch(request, env) {
		try {
			return await handle(request, env);
		} catch (err) {
			if (err instanceof HttpError) return err.toResponse();
			console.error("json-transform: unexpected error", err);
			return errorResponse(500, "internal_error", "internal error");
		}
	},
} satisfies ExportedHandler<Env>;
