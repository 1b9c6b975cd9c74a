/**
 * family-vault's reads and writes, each as the caller inside one transaction, so row-level security decides who
 * may do what (sql/migrations/20251101000500 and 20261201300000). A row the caller may not see reads as absent:
 * the answer is 404, which tells an outsider nothing about another family's vault.
 */
import { sqlState, type Tx } from "../_shared/db.ts";
import { HttpError, notFound } from "../_shared/errors.ts";
import { budgetRefusalOf } from "../_shared/spend.ts";
import type { ActionOf } from "./request.ts";

// deno-lint-ignore no-explicit-any
type Row = Record<string, any>;

const INVITATION_COLUMNS = [
  "id",
  "vault_id",
  "vault_name",
  "email",
  "role",
  "status",
  "invited_by",
  "expires_at",
  "created_at",
];

export async function createVault(tx: Tx, body: ActionOf<"create_vault">): Promise<Row> {
  const [vault] = await tx`
    insert into public.family_vaults (name, description) values (${body.name}, ${body.description ?? null})
    returning id, name, description, owner_id, created_at`;
  return { ...vault, role: "owner" };
}

export async function listVaults(tx: Tx, userId: string): Promise<Row[]> {
  return await tx`
    select v.id, v.name, v.description, v.owner_id, m.role, v.created_at
    from public.family_vaults v join public.family_members m on m.vault_id = v.id and m.user_id = ${userId}
    order by v.created_at`;
}

/** 404 unless the caller belongs to the vault. */
export async function requireVault(tx: Tx, vaultId: string): Promise<void> {
  const [vault] = await tx`select 1 from public.family_vaults where id = ${vaultId}`;
  if (!vault) {
    throw notFound("vault_not_found", `vault_id: no family vault ${vaultId} has you as a member`);
  }
}

export async function listMembers(tx: Tx, vaultId: string): Promise<Row[]> {
  await requireVault(tx, vaultId);
  return await tx`
    select user_id, role, invited_by, created_at from public.family_members
    where vault_id = ${vaultId} order by created_at`;
}

export async function invite(
  tx: Tx,
  body: ActionOf<"invite">,
): Promise<{ invitation: Row; created: boolean; vaultName: string }> {
  const [vault] = await tx`select name from public.family_vaults where id = ${body.vault_id}`;
  if (!vault) throw notFound("vault_not_found", `vault_id: no family vault ${body.vault_id} has you as a member`);
  const [created] = await refusedAs(
    tx`
      insert into public.family_invitations (vault_id, email, role) values (${body.vault_id}, ${body.email}, ${body.role})
      on conflict (vault_id, email) where status = 'pending' do nothing
      returning ${tx(INVITATION_COLUMNS)}`,
    body.role === "admin"
      ? "Only the vault's owner invites an admin"
      : "Only the vault's owner and admins invite; ask one of them",
  );
  if (created) return { invitation: created, created: true, vaultName: vault.name };
  const [open] = await tx`
    select ${tx(INVITATION_COLUMNS)} from public.family_invitations
    where vault_id = ${body.vault_id} and email = ${body.email} and status = 'pending'`;
  if (open.role !== body.role) {
    throw new HttpError(
      409,
      "invitation_pending",
      `${body.email} already has an open invitation to this vault as ${open.role}; revoke it to invite as ${body.role}`,
      { details: { invitation: open } },
    );
  }
  return { invitation: open, created: false, vaultName: vault.name };
}

/**
 * The open invitations addressed to the caller's confirmed sign-in address, without who sent them: the invitee
 * reads them only through private.my_family_invitations (migration 20261207145205), never the table.
 */
export async function myInvitations(tx: Tx): Promise<Row[]> {
  return await tx`
    select id, vault_id, vault_name, email, role, status, expires_at, created_at
    from private.my_family_invitations()`;
}

export async function acceptInvitation(tx: Tx, invitationId: string): Promise<Row> {
  try {
    const [membership] =
      await tx`select vault_id, member_id, role from private.accept_family_invitation(${invitationId})`;
    return membership;
  } catch (error) {
    if (sqlState(error) === "P0002") {
      throw notFound(
        "invitation_not_found",
        `invitation_id: no open invitation ${invitationId} is addressed to your confirmed e-mail address`,
      );
    }
    if (sqlState(error) === "22023") {
      throw new HttpError(410, "invitation_expired", "The invitation has expired; ask the vault's admin for a new one");
    }
    throw error;
  }
}

export async function revokeInvitation(tx: Tx, invitationId: string): Promise<Row> {
  const [revoked] = await tx`
    update public.family_invitations set status = 'revoked' where id = ${invitationId} and status = 'pending'
    returning ${tx(INVITATION_COLUMNS)}`;
  if (!revoked) {
    throw notFound(
      "invitation_not_found",
      `invitation_id: no open invitation ${invitationId} in a vault you administer`,
    );
  }
  return revoked;
}

export async function setRole(tx: Tx, body: ActionOf<"set_role">): Promise<Row> {
  await requireVault(tx, body.vault_id);
  const [member] = await refusedAs(
    tx`
      update public.family_members set role = ${body.role}
      where vault_id = ${body.vault_id} and user_id = ${body.user_id}
      returning user_id, role, invited_by, created_at`,
    "Only the vault's owner grants or takes away the admin role",
  );
  if (!member) {
    throw notFound(
      "member_not_found",
      `user_id: ${body.user_id} is not a member whose role you may change (admins change members and viewers; ` +
        "the owner's role never changes)",
    );
  }
  return member;
}

/** Removing someone else needs an admin (an admin's removal, the owner); anyone may leave. */
export async function removeMember(tx: Tx, body: ActionOf<"remove_member">): Promise<void> {
  await requireVault(tx, body.vault_id);
  const removed = await refusedAs(
    tx`delete from public.family_members where vault_id = ${body.vault_id} and user_id = ${body.user_id} returning id`,
    "Only the vault's owner removes an admin",
  );
  if (removed.length === 0) {
    throw notFound(
      "member_not_found",
      `user_id: ${body.user_id} is not a member you may remove (admins remove members; the owner cannot be removed)`,
    );
  }
}

export async function share(tx: Tx, body: ActionOf<"share">): Promise<{ share: Row; created: boolean }> {
  await requireVault(tx, body.vault_id);
  const [created] = await refusedAs(
    tx`
      insert into public.family_vault_documents (vault_id, document_id) values (${body.vault_id}, ${body.document_id})
      on conflict (vault_id, document_id) do nothing
      returning vault_id, document_id, shared_by, created_at`,
    `document_id: only the owner of document ${body.document_id} shares it; share one of your own documents`,
  );
  if (created) return { share: created, created: true };
  const [existing] = await tx`
    select vault_id, document_id, shared_by, created_at from public.family_vault_documents
    where vault_id = ${body.vault_id} and document_id = ${body.document_id}`;
  return { share: existing, created: false };
}

export async function unshare(tx: Tx, body: ActionOf<"unshare">): Promise<void> {
  const removed = await tx`
    delete from public.family_vault_documents where vault_id = ${body.vault_id} and document_id = ${body.document_id}
    returning id`;
  if (removed.length === 0) {
    throw notFound(
      "share_not_found",
      `document ${body.document_id} is not shared into vault ${body.vault_id} by you (vault admins unshare any)`,
    );
  }
}

export async function listDocuments(tx: Tx, vaultId: string): Promise<Row[]> {
  await requireVault(tx, vaultId);
  return await tx`
    select d.id, d.title, d.file_name, d.mime_type, d.file_size, d.expires_on, d.user_id as owner_id,
           s.shared_by, s.created_at as shared_at
    from public.family_vault_documents s join public.documents d on d.id = s.document_id
    where s.vault_id = ${vaultId} order by s.created_at desc`;
}

/** The document's object path, if the caller may read it now (their own, or shared into one of their vaults). */
export async function readableDocument(tx: Tx, documentId: string): Promise<Row> {
  const [document] = await tx`
    select id, user_id, file_path, file_name from public.documents where id = ${documentId}`;
  if (!document) {
    throw notFound(
      "document_not_found",
      `document_id: document ${documentId} is neither yours nor shared into a vault you belong to`,
    );
  }
  // Opening it is what keeps it out of the archive, and brings it back from there (public.open_document).
  const [opened] = await tx`select storage_tier, restore_requested from public.open_document(${documentId})`;
  return { ...document, storage_tier: opened.storage_tier };
}

/** A policy or trigger refusal (SQLSTATE 42501) becomes a 403 with `message`; 53400 (a limit) a 409. */
async function refusedAs<T>(query: Promise<T>, message: string): Promise<T> {
  try {
    return await query;
  } catch (error) {
    if (sqlState(error) === "42501") throw new HttpError(403, "not_allowed", message);
    const overBudget = budgetRefusalOf(error);
    if (overBudget) throw overBudget;
    if (sqlState(error) === "53400") {
      throw new HttpError(
        409,
        "limit_reached",
        "Limit reached: a vault holds at most 25 open invitations and 50 members; revoke unanswered invitations " +
          "or remove members first",
      );
    }
    throw error;
  }
}
