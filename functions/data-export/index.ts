// Supabase's edge runtime serves this file; the logic is in handler.ts, which tests import.
import { createHandler } from "./handler.ts";

const handler = createHandler();
Deno.serve((req) => handler.fetch(req));
