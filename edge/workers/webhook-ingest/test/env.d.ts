declare namespace Cloudflare {
	interface Env {
		ORIGIN_URL: string;
		EDGE_SECRET: string;
		GITHUB_WEBHOOK_SECRET: string;
		STRIPE_WEBHOOK_SECRET: string;
		WEBHOOK_SECRET_SHOP: string;
	}
}
