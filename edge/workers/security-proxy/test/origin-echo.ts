// Runs in Node: the proxy's outbound fetches land here. It echoes what reached the "origin"
// (method, path, headers, body) so tests can see what the proxy passed on and stripped.
export async function originEcho(request: Request): Promise<Response> {
	const url = new URL(request.url);
	const status = /^\/status\/(\d{3})$/.exec(url.pathname);
	if (status) return new Response("{}", { status: Number(status[1]), headers: { "retry-after": "7" } });
	const headers: Record<string, string> = {};
	request.headers.forEach((value, key) => (headers[key] = value));
	const body = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
	return new Response(JSON.stringify({ method: request.method, url: request.url, headers, body }), {
		status: 200,
		headers: { "content-type": "application/json", connection: "keep-alive", "keep-alive": "timeout=5" },
	});
}
