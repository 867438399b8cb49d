// Runs in Node (vitest's config), not in workerd: Miniflare routes every outbound fetch of the
// Worker under test here, so tests through the deployed entry point exercise workerd's real
// fetch. Like the orchestrator it checks the edge signature (HMAC-SHA256 over
// "timestamp.body", computed here with Node's WebCrypto, not with shared/hmac.ts) and answers
// 401 if wrong, 503 for deliveries named "down-…", else 202 with {"duplicate"} by delivery id.

export const STAND_IN_EDGE_SECRET = "test-edge-secret";
const seen = new Set<string>();

async function expectedSignature(ts: string, body: string): Promise<string> {
	const enc = new TextEncoder();
	const key = await crypto.subtle.importKey("raw", enc.encode(STAND_IN_EDGE_SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
	const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(`${ts}.${body}`)));
	return "sha256=" + Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function originStandIn(request: Request): Promise<Response> {
	const body = await request.text();
	const ts = request.headers.get("x-ln1-edge-timestamp") ?? "";
	const reply = (status: number, value: unknown) =>
		new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });
	if (request.headers.get("x-ln1-edge-signature") !== (await expectedSignature(ts, body))) {
		return reply(401, { error: { code: "unauthenticated", message: "bad edge signature" } });
	}
	if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) {
		return reply(401, { error: { code: "unauthenticated", message: "stale" } });
	}
	const envelope = JSON.parse(body) as { source: string; delivery_id: string };
	if (!request.url.endsWith(`/v1/webhooks/${envelope.source}`)) {
		return reply(422, { error: { code: "invalid_input", message: "source mismatch" } });
	}
	if (envelope.delivery_id.startsWith("down-")) {
		return reply(503, { error: { code: "unavailable", message: "origin down" } });
	}
	const key = `${envelope.source}/${envelope.delivery_id}`;
	const duplicate = seen.has(key);
	seen.add(key);
	return reply(202, { id: `whk_${key}`, duplicate });
}
