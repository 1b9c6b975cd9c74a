// Supabase runs this file; the handler lives in handler.ts so tests can call it without a server.
import { createHandler } from "./handler.ts";

Deno.serve(createHandler().fetch);
