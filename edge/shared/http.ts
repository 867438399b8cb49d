// JSON responses and errors in the orchestrator's shape: {"error": {"code", "message"}}.

export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
	const h = new Headers(headers);
	h.set("content-type", "application/json; charset=utf-8");
	return new Response(JSON.stringify(body), { status, headers: h });
}

export function errorResponse(
	status: number,
	code: string,
	message: string,
	extra: Record<string, unknown> = {},
	headers: HeadersInit = {},
): Response {
	return json({ error: { code, message, ...extra } }, status, headers);
}

export class HttpError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly extra: Record<string, unknown> = {},
	) {
		super(message);
	}

	toResponse(): Response {
		return errorResponse(this.status, this.code, this.message, this.extra);
	}
}

/** Reads a request body up to `limit` bytes; a larger one is a 413. */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
	const declared = Number(request.headers.get("content-length") ?? "NaN");
	if (Number.isFinite(declared) && declared > limit) {
		throw new HttpError(413, "too_large", `bodies are limited to ${limit} bytes`);
	}
	if (!request.body) return new Uint8Array();
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		size += value.byteLength;
		if (size > limit) {
			await reader.cancel();
			throw new HttpError(413, "too_large", `bodies are limited to ${limit} bytes`);
		}
		chunks.push(value);
	}
	const out = new Uint8Array(size);
	let offset = 0;
	for (const c of chunks) {
		out.set(c, offset);
		offset += c.byteLength;
	}
	return out;
}

/** True for `application/json` and `application/<x>+json`, any parameters. */
export function isJsonContentType(value: string | null): boolean {
	if (!value) return false;
	const type = value.split(";")[0]!.trim().toLowerCase();
	return type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}
