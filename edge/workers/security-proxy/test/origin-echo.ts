// Runs in Node: the proxy's outbound fetches land here. It echoes what reached the "origin"
// (method, path, headers, body) so tests can see what the proxy passed on and stripped.
// `/ws/echo` is a WebSocket origin (Miniflare's own WebSocketPair and Response, the ones its
// loopback server couples to a real socket): the first frame it sends back is what the
// handshake carried, then it echoes every message.
import { Response as MiniflareResponse, WebSocketPair } from "miniflare";

type Seen = { method: string; url: string; headers: Record<string, string>; body: string };

function seenHeaders(request: Request): Record<string, string> {
	const headers: Record<string, string> = {};
	request.headers.forEach((value, key) => (headers[key] = value));
	return headers;
}

function webSocketOrigin(request: Request): Response {
	const [client, server] = Object.values(new WebSocketPair());
	server!.accept();
	const seen: Seen = { method: request.method, url: request.url, headers: seenHeaders(request), body: "" };
	server!.send(JSON.stringify(seen));
	server!.addEventListener("message", (event) => server!.send(`echo:${String(event.data)}`));
	const response = new MiniflareResponse(null, {
		status: 101,
		webSocket: client!,
		headers: { "sec-websocket-protocol": request.headers.get("sec-websocket-protocol") ?? "", "x-origin": "ws-echo" },
	});
	return response as unknown as Response;
}

export async function originEcho(request: Request): Promise<Response> {
	const url = new URL(request.url);
	if (url.pathname === "/ws/echo") {
		if ((request.headers.get("upgrade") ?? "").toLowerCase() === "websocket") return webSocketOrigin(request);
		return new Response("expected a WebSocket handshake", { status: 426 });
	}
	const status = /^\/status\/(\d{3})$/.exec(url.pathname);
	if (status) return new Response("{}", { status: Number(status[1]), headers: { "retry-after": "7" } });
	const body = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
	const seen: Seen = { method: request.method, url: request.url, headers: seenHeaders(request), body };
	return new Response(JSON.stringify(seen), {
		status: 200,
		headers: { "content-type": "application/json", connection: "keep-alive", "keep-alive": "timeout=5" },
	});
}
