// Forwarding an envelope to the orchestrator, signed with the edge-to-origin secret, with a
// bounded number of retries and exponential back-off (with jitter) inside an overall deadline.

import { signTimestamped } from "../../../shared/hmac";
import type { Envelope } from "../../../shared/envelope";

export interface ForwardOptions {
	originUrl: string;
	secret: string;
	attempts: number; // total tries, first one included
	backoffMs: number; // first back-off; doubles each retry
	maxBackoffMs: number;
	attemptTimeoutMs: number;
	deadlineMs: number; // no new attempt starts past this (providers time out: GitHub at 10 s)
	fetch: typeof fetch;
	sleep: (ms: number) => Promise<void>;
	now: () => number; // ms
	random: () => number;
}

export interface ForwardResult {
	ok: boolean;
	attempts: number;
	status: number | null; // the origin's last status, null when it never answered
	body: unknown; // the origin's last JSON answer, when it sent one
	reason?: string;
}

export const TIMESTAMP_HEADER = "X-Ln1-Edge-Timestamp";
export const SIGNATURE_HEADER = "X-Ln1-Edge-Signature";

/** 408, 425, 429 and 5xx are worth another try; other 4xx will answer the same again. */
export function retryable(status: number): boolean {
	return status === 408 || status === 425 || status === 429 || status >= 500;
}

function retryAfterMs(response: Response): number | null {
	const value = response.headers.get("retry-after");
	if (!value) return null;
	if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
	const at = Date.parse(value);
	return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

async function readJson(response: Response): Promise<unknown> {
	try {
		return await response.json();
	} catch {
		return null;
	}
}

export async function forward(envelope: Envelope, opts: ForwardOptions): Promise<ForwardResult> {
	const url = `${opts.originUrl.replace(/\/+$/, "")}/v1/webhooks/${envelope.source}`;
	const body = JSON.stringify(envelope);
	const started = opts.now();
	let last: ForwardResult = { ok: false, attempts: 0, status: null, body: null };
	for (let attempt = 1; attempt <= opts.attempts; attempt++) {
		const timestamp = Math.floor(Date.now() / 1000);
		let retryHintMs: number | null = null;
		try {
			const response = await opts.fetch(url, {
				method: "POST",
				body,
				headers: {
					"content-type": "application/json",
					"user-agent": "ln1-edge-webhook-ingest",
					[TIMESTAMP_HEADER]: String(timestamp),
					[SIGNATURE_HEADER]: await signTimestamped(opts.secret, timestamp, body),
				},
				signal: AbortSignal.timeout(opts.attemptTimeoutMs),
			});
			const answer = await readJson(response);
			last = { ok: response.ok, attempts: attempt, status: response.status, body: answer };
			if (response.ok) return last;
			if (!retryable(response.status)) {
				return { ...last, reason: `origin refused the event with ${response.status}` };
			}
			last.reason = `origin answered ${response.status}`;
			retryHintMs = retryAfterMs(response);
		} catch (err) {
			const name = err instanceof Error ? err.name : "Error";
			const timedOut = name === "TimeoutError" || name === "AbortError";
			last = {
				ok: false,
				attempts: attempt,
				status: null,
				body: null,
				reason: timedOut ? `origin did not answer in ${opts.attemptTimeoutMs} ms` : `network error: ${String(err)}`,
			};
		}
		if (attempt === opts.attempts) break;
		const exp = Math.min(opts.maxBackoffMs, opts.backoffMs * 2 ** (attempt - 1));
		// "Equal jitter": at least half the exponential step, so retries never bunch at zero.
		let delay = exp / 2 + opts.random() * (exp / 2);
		if (retryHintMs !== null) delay = Math.max(delay, Math.min(retryHintMs, opts.maxBackoffMs));
		if (opts.now() - started + delay >= opts.deadlineMs) {
			last.reason = `${last.reason}; gave up: the ${opts.deadlineMs} ms deadline would pass`;
			break;
		}
		await opts.sleep(delay);
	}
	return last;
}
