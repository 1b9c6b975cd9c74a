"""The storage CDN's CloudFront Functions (runtime cloudfront-js-2.0), run at the viewer-request stage, that is
before the cache is looked up: what they refuse is never answered from the cache either."""

from __future__ import annotations

# The API, auth and functions are not the CDN's business: only the Storage paths of the ordered behaviours reach
# the origin.
REFUSE_OTHER_PATHS = """function handler(event) {
  return { statusCode: 404, statusDescription: 'Not Found' };
}
"""

# A signed Storage URL (`/object/sign/<bucket>/<path>?token=<JWT>`) is cached under its full query, token
# included, so only someone holding that exact URL gets the cached object, and Supabase checks the token's
# signature on every miss. But the edge would keep answering a cached URL after its token expired; this checks
# the token's `exp` first. Its signature is not checked here (the project's secret stays out of the CDN): a
# forged token is a different cache key, so it always goes to the origin, which refuses it. A repeated `token`
# parameter is refused, so the edge and the origin cannot read different ones.
REFUSE_EXPIRED_SIGNED_URLS = """function handler(event) {
  var token = event.request.querystring.token;
  if (!token || token.multiValue || !token.value) return refuse('a signed URL needs one token parameter');
  var expiry = expiryOf(token.value);
  if (expiry === null) return refuse('the token is not a JWT with an expiry');
  if (expiry * 1000 <= Date.now()) return refuse('the signed URL has expired; ask the app for a new one');
  return event.request;
}

function refuse(reason) {
  return { statusCode: 403, statusDescription: 'Forbidden', headers: { 'x-refused-because': { value: reason } } };
}

function expiryOf(jwt) {
  var parts = jwt.split('.');
  if (parts.length !== 3) return null;
  try {
    var base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    var claims = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
    return typeof claims.exp === 'number' && isFinite(claims.exp) ? claims.exp : null;
  } catch (e) {
    return null;
  }
}
"""
