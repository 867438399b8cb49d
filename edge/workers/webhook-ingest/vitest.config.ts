import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { originStandIn } from "./test/origin-stand-in.ts";

export default defineConfig({
	plugins: [
		cloudflareTest({
			main: "./src/index.ts",
			wrangler: { configPath: "./wrangler.toml" },
			miniflare: {
				// Test secrets (in production: `wrangler secret put`).
				bindings: {
					EDGE_SECRET: "test-edge-secret",
					GITHUB_WEBHOOK_SECRET: "test-github-secret",
					STRIPE_WEBHOOK_SECRET: "whsec_test_stripe_secret",
					WEBHOOK_SECRET_SHOP: "test-shop-secret",
					ORIGIN_URL: "http://origin.test",
					FORWARD_BACKOFF_MS: "10",
				},
				// Every outbound fetch of the Worker lands on this stand-in of the orchestrator.
				outboundService: originStandIn,
			},
		}),
	],
	test: {
		name: "webhook-ingest",
		include: ["test/**/*.test.ts"],
	},
});
