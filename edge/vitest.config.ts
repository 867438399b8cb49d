// One vitest run for every Worker: each Worker is a vitest project running in its own workerd.
import { defineConfig } from "vitest/config";

export default defineConfig({
	test: {
		projects: ["workers/*/vitest.config.ts"],
	},
});
