// webhook-ingest: verifies a provider's signature, normalises the event into one envelope and
// forwards it to the orchestrator (POST /v1/webhooks/{source}), signed with the edge secret.
//
// Routes: POST /webhooks/{source} and POST /webhooks/{source}/{company-slug}.
// Sources: "github" and "stripe" use their provider's scheme; any other source uses the
// generic ln1 scheme (see verify.ts) when WEBHOOK_SECRET_<SOURCE> is set, and is 404 otherwise.
// Answers: 202 forwarded (the origin stored it, or already had it), 400 malformed but signed,
// 401 missing/bad signature or stale timestamp, 404 unknown route/source, 405 wrong method,
// 413 too large, 502 the origin never accepted it (after the retries), 503 not configured.

import { COMPANY_RE, SOURCE_RE, type Envelope } from "../../../shared/envelope";
import { HttpError, errorResponse, json, readBody } from "../../../shared/http";
import { forward, type ForwardOptions } from "./forward";
import { verifyGeneric, verifyGitHub, verifyStripe, type Verified } from "./verify";

export interface Env {
	ORIGIN_URL: string;
	EDGE_SECRET?: string;
	GITHUB_WEBHOOK_SECRET?: string;
	STRIPE_WEBHOOK_SECRET?: string;
	SIGNATURE_TOLERANCE_S?: string;
	MAX_BODY_BYTES?: string;
	FORWARD_ATTEMPTS?: string;
	FORWARD_BACKOFF_MS?: string;
	FORWARD_MAX_BACKOFF_MS?: string;
	FORWARD_ATTEMPT_TIMEOUT_MS?: string;
	FORWARD_DEADLINE_MS?: string;
	[key: string]: unknown; // WEBHOOK_SECRET_<SOURCE> for generic sources
}

export interface Deps {
	fetch: typeof fetch;
	sleep: (ms: number) => Promise<void>;
	now: () => number;
	random: () => number;
}

const defaultDeps: Deps = {
	fetch: (input, init) => fetch(input, init),
	sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
	now: () => Date.now(),
	random: Math.random,
};

function num(value: unknown, fallback: number): number {
	const n = typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
	return Number.isFinite(n) && n >= 0 ? n : fallback;
}

export function genericSecretName(source: string): string {
	return `WEBHOOK_SECRET_${source.toUpperCase().replace(/-/g, "_")}`;
}

function secretFor(env: Env, source: string): string | null {
	const value =
		source === "github"
			? env.GITHUB_WEBHOOK_SECRET
			: source === "stripe"
				? env.STRIPE_WEBHOOK_SECRET
				: env[genericSecretName(source)];
	return typeof value === "string" && value !== "" ? value : null;
}

export async function handle(request: Request, env: Env, deps: Deps = defaultDeps): Promise<Response> {
	const url = new URL(request.url);
	const parts = url.pathname.split("/").filter(Boolean);
	if (parts[0] !== "webhooks" || parts.length < 2 || parts.length > 3) {
		throw new HttpError(404, "not_found", "no such route: POST /webhooks/{source}[/{company}]");
	}
	if (request.method !== "POST") {
		return errorResponse(405, "method_not_allowed", "webhooks are POSTed", {}, { allow: "POST" });
	}
	const source = decodeURIComponent(parts[1]!);
	const company = parts[2] === undefined ? undefined : decodeURIComponent(parts[2]);
	if (!SOURCE_RE.test(source)) throw new HttpError(404, "unknown_source", `unknown source ${JSON.stringify(source)}`);
	if (company !== undefined && !COMPANY_RE.test(company)) {
		throw new HttpError(404, "not_found", `${JSON.stringify(company)} is not a company slug`);
	}
	const secret = secretFor(env, source);
	if (secret === null) throw new HttpError(404, "unknown_source", `source ${source} is not configured at this edge`);
	if (!env.EDGE_SECRET || !env.ORIGIN_URL) {
		throw new HttpError(503, "not_configured", "EDGE_SECRET and ORIGIN_URL must be set");
	}

	const body = await readBody(request, num(env.MAX_BODY_BYTES, 1024 * 1024));
	const tolerance = num(env.SIGNATURE_TOLERANCE_S, 300);
	const nowS = Math.floor(deps.now() / 1000);
	let verified: Verified;
	if (source === "github") verified = await verifyGitHub(request.headers, body, secret);
	else if (source === "stripe") verified = await verifyStripe(request.headers, body, secret, tolerance, nowS);
	else verified = await verifyGeneric(request.headers, body, secret, tolerance, nowS);
	if (verified.event.length > 100) throw new HttpError(400, "bad_request", "event name longer than 100 characters");
	if (verified.deliveryId.length > 200) throw new HttpError(400, "bad_request", "delivery id longer than 200 characters");

	const envelope: Envelope = {
		source,
		event: verified.event,
		delivery_id: verified.deliveryId,
		received_at: new Date(deps.now()).toISOString(),
		payload: verified.payload,
		...(company !== undefined ? { company } : {}),
	};
	const options: ForwardOptions = {
		originUrl: env.ORIGIN_URL,
		secret: env.EDGE_SECRET,
		attempts: Math.max(1, Math.floor(num(env.FORWARD_ATTEMPTS, 4))),
		backoffMs: num(env.FORWARD_BACKOFF_MS, 250),
		maxBackoffMs: num(env.FORWARD_MAX_BACKOFF_MS, 2000),
		attemptTimeoutMs: num(env.FORWARD_ATTEMPT_TIMEOUT_MS, 3000),
		deadlineMs: num(env.FORWARD_DEADLINE_MS, 8000),
		...deps,
	};
	const result = await forward(envelope, options);
	const summary = { source, event: envelope.event, delivery_id: envelope.delivery_id, attempts: result.attempts };
	if (result.ok) {
		const duplicate = (result.body as { duplicate?: unknown } | null)?.duplicate === true;
		return json({ accepted: true, ...summary, duplicate, origin_status: result.status }, 202);
	}
	return errorResponse(502, "origin_unavailable", `the origin did not accept the event: ${result.reason ?? "unknown"}`, {
		...summary,
		origin_status: result.status,
		origin_error: result.body,
	});
}

export function makeWorker(deps: Deps = defaultDeps): ExportedHandler<Env> {
	return {
		async fetch(request, env) {
			try {
				return await handle(request, env, deps);
			} catch (err) {
				if (err instanceof HttpError) return err.toResponse();
				console.error("webhook-ingest: unexpected error", err);
				return errorResponse(500, "internal_error", "internal error");
			}
		},
	};
}

export default makeWorker();
