/**
 * family-vault's requests: one JSON body with an `action` and that action's fields. Every problem names its field
 * (`vault_id: must be a UUID`); fields an action does not take are refused, so a misspelt one is not ignored.
 */
import { z } from "../_shared/validation.ts";

const uuid = (what: string) =>
  z.string({ required_error: "is required", invalid_type_error: "must be a string" }).uuid(`must be a UUID (${what})`);
const vaultId = uuid("the id of one of your family vaults");
const documentId = uuid("the id of a document");
const userId = uuid("a member's user id");
const invitedRole = z.enum(["admin", "member", "viewer"], {
  errorMap: () => ({ message: "must be admin, member or viewer" }),
});

const actions = [
  z.object({
    action: z.literal("create_vault"),
    name: z.string({ required_error: "is required", invalid_type_error: "must be a string" }).trim()
      .min(1, "must not be empty").max(200, "must be at most 200 characters"),
    description: z.string({ invalid_type_error: "must be a string" }).max(2000, "must be at most 2000 characters")
      .optional(),
  }).strict(),
  z.object({ action: z.literal("list_vaults") }).strict(),
  z.object({ action: z.literal("list_members"), vault_id: vaultId }).strict(),
  z.object({
    action: z.literal("invite"),
    vault_id: vaultId,
    email: z.string({ required_error: "is required", invalid_type_error: "must be a string" }).trim()
      .toLowerCase().max(320, "must be at most 320 characters").email("must be an e-mail address"),
    role: invitedRole.default("member"),
  }).strict(),
  z.object({ action: z.literal("list_invitations") }).strict(),
  z.object({ action: z.literal("accept_invitation"), invitation_id: uuid("the id of an invitation to you") }).strict(),
  z.object({ action: z.literal("revoke_invitation"), invitation_id: uuid("the id of an invitation") }).strict(),
  z.object({ action: z.literal("set_role"), vault_id: vaultId, user_id: userId, role: invitedRole }).strict(),
  z.object({ action: z.literal("remove_member"), vault_id: vaultId, user_id: userId }).strict(),
  z.object({ action: z.literal("share"), vault_id: vaultId, document_id: documentId }).strict(),
  z.object({ action: z.literal("unshare"), vault_id: vaultId, document_id: documentId }).strict(),
  z.object({ action: z.literal("list_documents"), vault_id: vaultId }).strict(),
  z.object({ action: z.literal("download_url"), document_id: documentId }).strict(),
] as const;

export const ACTIONS = actions.map((schema) => schema.shape.action.value);

export const FamilyVaultRequest = z.discriminatedUnion("action", [...actions], {
  errorMap: (issue, ctx) =>
    issue.code === "invalid_union_discriminator"
      ? { message: `must be one of ${ACTIONS.join(", ")}` }
      : { message: issue.code === "invalid_type" && ctx.data === undefined ? "is required" : ctx.defaultError },
});

export type FamilyVaultRequest = z.infer<typeof FamilyVaultRequest>;
export type ActionOf<A extends FamilyVaultRequest["action"]> = Extract<FamilyVaultRequest, { action: A }>;
