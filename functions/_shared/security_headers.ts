/**
 * Headers every response carries. Guide 002 ("API Security Headers") lists them for all edge functions; guide
 * 000's nginx config adds the same three for the frontend. Deviations, on purpose:
 * - Content-Security-Policy is `default-src 'none'` rather than the guide's `'self'`: these responses are JSON or
 *   an event stream, never a page, so they need to load nothing at all.
 * - Cache-Control `no-store`: answers hold one user's data and must not sit in a shared cache.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "X-XSS-Protection": "1; mode=block",
  "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "Cache-Control": "no-store",
};
