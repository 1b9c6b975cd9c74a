/**
 * Canonical object keys: the one rule every place that signs, downloads, uploads, copies or deletes a Storage
 * object by a key applies before it asks Storage (the same rule as private.object_key_problem in migration
 * 20261207154841, and ops/object_keys.py). A key read from a row is data a user may have written: Storage
 * collapses '..' and decodes escapes, so '<own id>/../<owner id>/doc.pdf' would name another user's object.
 *
 * Canonical: '<owner id>/<segment>[/<segment>...]', no empty, '.' or '..' segment, no backslash, no
 * percent-escape, no control character, at most 1024 characters.
 */

export const MAX_OBJECT_KEY_LENGTH = 1024;

/** A stored key that breaks the rule; the message names the key's problem and what to do, never a secret. */
export class ObjectKeyError extends Error {
  constructor(readonly key: string, readonly problem: string) {
    super(`object key ${JSON.stringify(key)} ${problem}; only canonical keys ('<owner id>/<name>...') are used`);
    this.name = "ObjectKeyError";
  }
}

/** What is wrong with `key` (as the owner's key when `owner` is given), or null when it is canonical. */
export function objectKeyProblem(key: string, owner?: string): string | null {
  if (typeof key !== "string" || key.length === 0) return "is missing";
  if (key.length > MAX_OBJECT_KEY_LENGTH) return `is longer than ${MAX_OBJECT_KEY_LENGTH} characters`;
  if (key.includes("\\")) return "holds a backslash";
  if (/%[0-9A-Fa-f]{2}/.test(key)) return "holds a percent-escape";
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return "holds a control character";
  const segments = key.split("/");
  if (segments.some((s) => s === "." || s === "..")) return 'holds a "." or ".." segment';
  if (segments.some((s) => s === "")) return "holds an empty segment";
  if (owner !== undefined && segments[0] !== owner) return "does not start with its owner's id";
  if (segments.length < 2) return "names no object inside its owner's folder";
  return null;
}

/** `key` itself when canonical (and, given `owner`, inside the owner's folder); an ObjectKeyError otherwise. */
export function canonicalObjectKey(key: string, owner?: string): string {
  const problem = objectKeyProblem(key, owner);
  if (problem !== null) throw new ObjectKeyError(key, problem);
  return key;
}
