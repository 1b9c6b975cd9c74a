/**
 * family-vault: a family's shared vault (guide 002). One POST endpoint; the body's `action` says what to do:
 * create_vault, list_vaults, list_members, invite, list_invitations, accept_invitation, revoke_invitation,
 * set_role, remove_member, share, unshare, list_documents, download_url. Everything runs as the caller, so the
 * database's row-level security decides (see README.md); download_url then asks Storage, as service_role, for a
 * short-lived signed URL of a document the caller may read at that moment.
 */
import { createDatabase, type Database } from "../_shared/db.ts";
import { type Env, envInt, envString, requireEnv } from "../_shared/env.ts";
import { HttpError } from "../_shared/errors.ts";
import { createUserFunction, type EdgeFunction, type UserRequestContext } from "../_shared/function.ts";
import { enforceRateLimit, rateLimitHeaders } from "../_shared/rate_limit.ts";
import { canonicalObjectKey, ObjectKeyError } from "../_shared/object_key.ts";
import { jsonResponse } from "../_shared/responses.ts";
import { createSignedUrl, StorageError } from "../_shared/storage.ts";
import { parseBody } from "../_shared/validation.ts";
import { emailInvitation, type Invitation } from "./invitation_email.ts";
import { FamilyVaultRequest } from "./request.ts";
import * as vaults from "./vaults.ts";

export const NAME = "family-vault";
export const DEFAULT_URL_TTL_SECONDS = 60;
/** How often the lifecycle workflow's restore pass runs (.github/workflows/data-lifecycle.yml). */
export const RESTORE_RETRY_SECONDS = 900;

export function createHandler(env: Env = Deno.env.toObject()): EdgeFunction {
  const db = createDatabase(env);
  return createUserFunction({ name: NAME, env, methods: ["POST"], resources: [db] }, async (req, ctx) => {
    const limit = await enforceRateLimit(db, ctx.user, NAME);
    const body = await parseBody(req, FamilyVaultRequest);
    const { status, answer } = await perform(body, ctx, db);
    ctx.log.info("family-vault action", { action: body.action });
    return jsonResponse(answer, status, rateLimitHeaders(limit));
  });
}

async function perform(
  body: FamilyVaultRequest,
  ctx: UserRequestContext,
  db: Database,
): Promise<{ status: number; answer: unknown }> {
  const asCaller = <T>(work: Parameters<typeof db.asCaller<T>>[1]) => db.asCaller(ctx.user, work);
  const ok = (answer: unknown, status = 200) => ({ status, answer });
  switch (body.action) {
    case "create_vault":
      return ok({ vault: await asCaller((tx) => vaults.createVault(tx, body)) }, 201);
    case "list_vaults":
      return ok({ vaults: await asCaller((tx) => vaults.listVaults(tx, ctx.user.userId)) });
    case "list_members":
      return ok({ members: await asCaller((tx) => vaults.listMembers(tx, body.vault_id)) });
    case "invite": {
      const { invitation, created, vaultName } = await asCaller((tx) => vaults.invite(tx, body));
      // After the commit: an e-mail never goes out for an invitation that does not exist.
      const email = created
        ? await emailInvitation(ctx.env, ctx.log, invitation as Invitation, vaultName, db, ctx.user.userId)
        : undefined;
      return ok({ invitation, created, ...(email ? { email } : {}) }, created ? 201 : 200);
    }
    case "list_invitations":
      return ok({ invitations: await asCaller((tx) => vaults.myInvitations(tx)) });
    case "accept_invitation":
      return ok({ membership: await asCaller((tx) => vaults.acceptInvitation(tx, body.invitation_id)) });
    case "revoke_invitation":
      return ok({ invitation: await asCaller((tx) => vaults.revokeInvitation(tx, body.invitation_id)) });
    case "set_role":
      return ok({ member: await asCaller((tx) => vaults.setRole(tx, body)) });
    case "remove_member":
      await asCaller((tx) => vaults.removeMember(tx, body));
      return ok({ removed: true });
    case "share": {
      const { share, created } = await asCaller((tx) => vaults.share(tx, body));
      return ok({ share, created }, created ? 201 : 200);
    }
    case "unshare":
      await asCaller((tx) => vaults.unshare(tx, body));
      return ok({ unshared: true });
    case "list_documents":
      return ok({ documents: await asCaller((tx) => vaults.listDocuments(tx, body.vault_id)) });
    case "download_url": {
      const download = await downloadUrl(ctx, db, body.document_id);
      return ok(download, "restoring" in download ? 202 : 200);
    }
  }
}

/**
 * Signed only after row-level security said yes, in the same request: unsharing or removing a member stops the
 * next download at once. A URL already handed out lives FAMILY_VAULT_URL_TTL_SECONDS (default 60), no longer.
 */
async function downloadUrl(ctx: UserRequestContext, db: Database, documentId: string) {
  const env = ctx.env;
  const ttl = envInt(env, "FAMILY_VAULT_URL_TTL_SECONDS", DEFAULT_URL_TTL_SECONDS, 10, 3600);
  const bucket = envString(env, "DOCUMENTS_BUCKET") ?? "documents";
  requireEnv(env, "SUPABASE_SERVICE_ROLE_KEY");
  const document = await db.asCaller(ctx.user, (tx) => vaults.readableDocument(tx, documentId));
  if (document.storage_tier === "archived") {
    // In the archive bucket: the open asked for it back, and the restore pass (every 15 minutes) brings it.
    return {
      document_id: document.id,
      file_name: document.file_name,
      storage_tier: "archived",
      restoring: true,
      retry_after_seconds: RESTORE_RETRY_SECONDS,
    };
  }
  try {
    // The stored path is the owner's data: only a canonical key inside the document owner's folder is signed.
    const path = canonicalObjectKey(document.file_path, document.user_id);
    const url = await createSignedUrl(env, bucket, path, ttl);
    const expiresAt = new Date(Date.now() + ttl * 1000).toISOString();
    return { document_id: document.id, file_name: document.file_name, url, expires_in: ttl, expires_at: expiresAt };
  } catch (error) {
    if (error instanceof ObjectKeyError) {
      ctx.log.warn("refused to sign a stored path that is not canonical", { document_id: documentId });
      throw new HttpError(
        409,
        "file_path_not_canonical",
        `Document ${documentId}'s stored file path ${error.problem}, so it is not signed; its owner deletes the ` +
          "document and uploads the file again",
      );
    }
    if (!(error instanceof StorageError)) throw error;
    ctx.log.warn("signed url failed", { document_id: documentId, status: error.status });
    if (error.status === 404) {
      throw new HttpError(404, "file_not_found", `Document ${documentId}'s file is not in Storage; upload it again`);
    }
    throw new HttpError(502, "storage_unavailable", `Storage could not sign the download: ${error.message}`);
  }
}
