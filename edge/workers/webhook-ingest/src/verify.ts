// Provider signature schemes. Each verifier gets the raw body bytes (signatures are over
// bytes, never over re-serialised JSON) and answers the event name and delivery id, or throws
// an HttpError: 401 for a missing/bad signature or a stale timestamp, 400 for a signed but
// malformed request.

import { concatBytes, timingSafeEqualStr, hmacHex } from "../../../shared/hmac";
import { HttpError } from "../../../shared/http";

export interface Verified {
	event: string;
	deliveryId: string;
	payload: unknown;
}

const HEX64 = /^[0-9a-f]{64}$/;
const decoder = new TextDecoder();

function unauthorized(message: string): HttpError {
	return new HttpError(401, "bad_signature", message);
}

function badRequest(message: string): HttpError {
	return new HttpError(400, "bad_request", message);
}

function parseJson(body: Uint8Array): unknown {
	try {
		return JSON.parse(decoder.decode(body));
	} catch {
		throw badRequest("the body is not valid JSON");
	}
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`, event name in
 * `X-GitHub-Event`, delivery GUID in `X-GitHub-Delivery`. The payload is JSON, or the form
 * field `payload` when the hook was set to `application/x-www-form-urlencoded`. The envelope's
 * event is `<X-GitHub-Event>.<action>` when the payload has an action (`issues.opened`).
 */
export async function verifyGitHub(
	headers: Headers,
	body: Uint8Array,
	secret: string,
): Promise<Verified> {
	const header = headers.get("x-hub-signature-256");
	if (!header) throw unauthorized("missing X-Hub-Signature-256");
	const given = header.trim().toLowerCase();
	if (!given.startsWith("sha256=") || !HEX64.test(given.slice(7))) {
		throw unauthorized("malformed X-Hub-Signature-256 (expected sha256=<64 hex>)");
	}
	const expected = await hmacHex(secret, body);
	if (!timingSafeEqualStr(expected, given.slice(7))) throw unauthorized("bad GitHub signature");

	const name = headers.get("x-github-event");
	const deliveryId = headers.get("x-github-delivery");
	if (!name) throw badRequest("missing X-GitHub-Event");
	if (!deliveryId) throw badRequest("missing X-GitHub-Delivery");
	let payload: unknown;
	const type = (headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
	if (type === "application/x-www-form-urlencoded") {
		const field = new URLSearchParams(decoder.decode(body)).get("payload");
		if (field === null) throw badRequest("form-encoded GitHub hook without a payload field");
		payload = parseJson(new TextEncoder().encode(field));
	} else {
		payload = parseJson(body);
	}
	if (!isObject(payload)) throw badRequest("GitHub payloads are JSON objects");
	const action = typeof payload.action === "string" ? payload.action : null;
	return { event: action ? `${name}.${action}` : name, deliveryId, payload };
}

/**
 * Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]` where each v1 is
 * HMAC-SHA256(secret, "<t>.<raw body>"); several v1 values appear while a secret is being
 * rolled, and any one matching is enough. A `t` further than `toleranceS` from now is refused
 * (replay protection, as Stripe's own libraries do with 300 s). Event: the payload's `type`;
 * delivery id: the event's `id` (`evt_…`), which Stripe keeps across its retries.
 */
export async function verifyStripe(
	headers: Headers,
	body: Uint8Array,
	secret: string,
	toleranceS: number,
	nowS: number,
): Promise<Verified> {
	const header = headers.get("stripe-signature");
	if (!header) throw unauthorized("missing Stripe-Signature");
	let timestamp: number | null = null;
	const v1: string[] = [];
	for (const part of header.split(",")) {
		const [key, ...rest] = part.split("=");
		const value = rest.join("=").trim();
		if (key?.trim() === "t" && /^\d{1,12}$/.test(value)) timestamp = Number(value);
		if (key?.trim() === "v1" && HEX64.test(value.toLowerCase())) v1.push(value.toLowerCase());
	}
	if (timestamp === null || v1.length === 0) {
		throw unauthorized("malformed Stripe-Signature (expected t=<seconds>,v1=<hex>)");
	}
	if (Math.abs(nowS - timestamp) > toleranceS) {
		throw unauthorized(`Stripe-Signature timestamp outside the ${toleranceS}s tolerance`);
	}
	const expected = await hmacHex(secret, concatBytes(`${timestamp}.`, body));
	let ok = false;
	for (const candidate of v1) ok = timingSafeEqualStr(expected, candidate) || ok;
	if (!ok) throw unauthorized("bad Stripe signature");

	const payload = parseJson(body);
	if (!isObject(payload)) throw badRequest("Stripe payloads are JSON objects");
	if (typeof payload.type !== "string" || !payload.type) throw badRequest("Stripe event without a type");
	if (typeof payload.id !== "string" || !payload.id) throw badRequest("Stripe event without an id");
	return { event: payload.type, deliveryId: payload.id, payload };
}

/**
 * The generic scheme, for any other source that has a secret configured
 * (`WEBHOOK_SECRET_<SOURCE>`, upper case, `-` as `_`):
 *
 *   X-Ln1-Timestamp: <unix seconds>
 *   X-Ln1-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *   X-Ln1-Event:     <event name, e.g. order.created>
 *   X-Ln1-Delivery:  <unique id of this event; a sender's retries reuse it>
 *
 * The body is JSON (object or array). Timestamps further than `toleranceS` from now are refused.
 */
export async function verifyGeneric(
	headers: Headers,
	body: Uint8Array,
	secret: string,
	toleranceS: number,
	nowS: number,
): Promise<Verified> {
	const ts = headers.get("x-ln1-timestamp");
	const sig = headers.get("x-ln1-signature");
	if (!ts || !sig) throw unauthorized("missing X-Ln1-Timestamp or X-Ln1-Signature");
	if (!/^\d{1,12}$/.test(ts.trim())) throw unauthorized("malformed X-Ln1-Timestamp");
	const given = sig.trim().toLowerCase();
	if (!given.startsWith("sha256=") || !HEX64.test(given.slice(7))) {
		throw unauthorized("malformed X-Ln1-Signature (expected sha256=<64 hex>)");
	}
	const timestamp = Number(ts.trim());
	if (Math.abs(nowS - timestamp) > toleranceS) {
		throw unauthorized(`X-Ln1-Timestamp outside the ${toleranceS}s tolerance`);
	}
	const expected = await hmacHex(secret, concatBytes(`${timestamp}.`, body));
	if (!timingSafeEqualStr(expected, given.slice(7))) throw unauthorized("bad signature");

	const event = headers.get("x-ln1-event");
	const deliveryId = headers.get("x-ln1-delivery");
	if (!event) throw badRequest("missing X-Ln1-Event");
	if (!deliveryId) throw badRequest("missing X-Ln1-Delivery");
	const payload = parseJson(body);
	if (typeof payload !== "object" || payload === null) {
		throw badRequest("the payload must be a JSON object or array");
	}
	return { event, deliveryId, payload };
}
