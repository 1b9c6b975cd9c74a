/** Constants and the database URL the Python glue (tests/functions/test_deno_suite.py) passes in. */

export const TEST_JWT_SECRET = "test-jwt-secret-with-at-least-32-characters";
export const TEST_SERVICE_ROLE_KEY = "test-service-role-key-0f1e2d3c4b5a";
export const TEST_KEYS = {
  openai: "sk-test-openai-5b8c1d2e3f4a",
  anthropic: "sk-ant-test-anthropic-9a8b7c6d",
  gemini: "AIzaTestGeminiKey-1234567890abcdef",
} as const;

/** Every secret a test world hands to a handler: tests scan responses and logs for these. */
export const ALL_TEST_SECRETS: readonly string[] = [
  TEST_JWT_SECRET,
  TEST_SERVICE_ROLE_KEY,
  ...Object.values(TEST_KEYS),
];

export function testDatabaseUrl(): string {
  const url = Deno.env.get("TEST_DATABASE_URL");
  if (!url) {
    throw new Error(
      "TEST_DATABASE_URL is not set: run the suite through pytest (`.venv/bin/pytest tests/functions`), " +
        "which creates a migrated database and passes its URL",
    );
  }
  return url;
}
