import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { originEcho } from "./test/origin-echo.ts";

export default defineConfig({
	plugins: [
		cloudflareTest({
			main: "./src/index.ts",
			wrangler: { configPath: "./wrangler.toml" },
			miniflare: {
				bindings: { PROXY_SECRET: "test-proxy-secret", ORIGIN_URL: "http://api.test", RATE_LIMIT_PER_MINUTE: "5", RATE_LIMIT_BURST: "5" },
				outboundService: originEcho,
			},
		}),
	],
	test: { name: "security-proxy", include: ["test/**/*.test.ts"] },
});
