// The one envelope every provider's event is normalised into before it goes to the origin.
// The orchestrator validates the same shape (src/ln1/webhooks/service.py: Envelope).

/** Source names: what `POST /webhooks/{source}` and `POST /v1/webhooks/{source}` accept. */
export const SOURCE_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** Company slugs, as the orchestrator's tenancy defines them. */
export const COMPANY_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export interface Envelope {
	source: string;
	event: string;
	delivery_id: string;
	received_at: string; // ISO 8601, UTC, when the edge received the request
	payload: unknown;
	company?: string; // the company slug, when the route named one
}
