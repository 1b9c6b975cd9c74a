/**
 * family-vault against the migrated database and a Storage stand-in that signs URLs and serves them: a vault's
 * life (create, invite by e-mail, accept, roles, share, unshare, remove), signed downloads of shared documents
 * that stop at once when the sharing ends, refusals for outsiders and for roles that may not act, bad input.
 */
import assert from "node:assert/strict";
import { createHandler, NAME } from "../../functions/family-vault/handler.ts";
import { SENDGRID_TEST_KEY, startFakeSendGrid } from "./support/fake_sendgrid.ts";
import { type FakeStorageSigning, startFakeStorageSigning } from "./support/fake_storage_signing.ts";
import { anonKey } from "./support/jwt.ts";
import { request, startWorld, type TestUser, type TestWorld } from "./support/world.ts";

// deno-lint-ignore no-explicit-any
type Loose = Record<string, any>;

interface Answer {
  status: number;
  body: Loose;
}

interface Setup extends AsyncDisposable {
  world: TestWorld;
  storage: FakeStorageSigning;
  /** A user whose sign-in address Supabase Auth confirmed (invitations go only to confirmed addresses). */
  user(): Promise<TestUser>;
  call(user: TestUser | string, body: unknown): Promise<Answer>;
  document(owner: TestUser, content?: string, name?: string): Promise<string>;
  /** owner's new vault with `member` in it, invited as `role` and accepted. */
  vaultWith(owner: TestUser, member: TestUser, role?: string): Promise<string>;
}

async function setup(env: Record<string, string | undefined> = {}): Promise<Setup> {
  const storage = startFakeStorageSigning();
  const world = await startWorld({ SUPABASE_URL: storage.url, ...env });
  const handler = createHandler(world.env);
  const call = async (user: TestUser | string, body: unknown): Promise<Answer> => {
    const token = typeof user === "string" ? user : user.token;
    const response = await handler.fetch(request(NAME, { body, token }));
    return { status: response.status, body: await response.json() };
  };
  const setupApi: Setup = {
    world,
    storage,
    async user() {
      const user = await world.createUser();
      await world.sql`update auth.users set email_confirmed_at = now() where id = ${user.id}`;
      return user;
    },
    call,
    async document(owner, content = "passport scan", name = `${crypto.randomUUID()}.pdf`) {
      const path = `${owner.id}/${name}`;
      const [row] = await world.sql`
        insert into public.documents (user_id, title, file_name, file_path, file_size, mime_type)
        values (${owner.id}, 'Passport', 'passport.pdf', ${path}, ${content.length}, 'application/pdf')
        returning id`;
      storage.objects.set(`documents/${path}`, content);
      return row.id;
    },
    async vaultWith(owner, member, role = "member") {
      const vault = await call(owner, { action: "create_vault", name: "The Smiths" });
      assert.equal(vault.status, 201, JSON.stringify(vault.body));
      const invited = await call(owner, { action: "invite", vault_id: vault.body.vault.id, email: member.email, role });
      assert.equal(invited.status, 201, JSON.stringify(invited.body));
      const accepted = await call(member, { action: "accept_invitation", invitation_id: invited.body.invitation.id });
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      return vault.body.vault.id;
    },
    async [Symbol.asyncDispose]() {
      await handler.close();
      await Promise.all([world.close(), storage.close()]);
    },
  };
  return setupApi;
}

Deno.test("an invited member reads a shared document through a signed URL until it is unshared", async () => {
  await using s = await setup();
  const [owner, member] = [await s.user(), await s.user()];
  const vaultId = await s.vaultWith(owner, member);
  const documentId = await s.document(owner, "the deed to the house");

  const shared = await s.call(owner, { action: "share", vault_id: vaultId, document_id: documentId });
  assert.equal(shared.status, 201);
  const again = await s.call(owner, { action: "share", vault_id: vaultId, document_id: documentId });
  assert.equal(again.status, 200, "sharing twice is answered with the existing share");
  assert.equal(again.body.created, false);

  const listed = await s.call(member, { action: "list_documents", vault_id: vaultId });
  assert.deepEqual(listed.body.documents.map((d: Loose) => d.id), [documentId]);

  const download = await s.call(member, { action: "download_url", document_id: documentId });
  assert.equal(download.status, 200, JSON.stringify(download.body));
  assert.equal(download.body.expires_in, 60);
  assert.ok(download.body.url.startsWith(`${s.storage.url}/storage/v1/object/sign/documents/${owner.id}/`));
  const file = await fetch(download.body.url);
  assert.equal(await file.text(), "the deed to the house", "the signed URL serves the file");
  assert.deepEqual(s.storage.signed.map((x) => x.expiresIn), [60]);

  const unshared = await s.call(owner, { action: "unshare", vault_id: vaultId, document_id: documentId });
  assert.equal(unshared.status, 200);
  const refused = await s.call(member, { action: "download_url", document_id: documentId });
  assert.equal(refused.status, 404, "no new URL once the document is unshared");
  assert.equal(refused.body.error.code, "document_not_found");
  assert.equal(s.storage.signed.length, 1, "Storage was not asked to sign after the unshare");
  const none = await s.call(member, { action: "list_documents", vault_id: vaultId });
  assert.deepEqual(none.body.documents, []);
});

Deno.test("download_url records the open and answers 202 for an archived file, which the open asks back", async () => {
  await using s = await setup();
  const [owner, member] = [await s.user(), await s.user()];
  const vaultId = await s.vaultWith(owner, member);
  const documentId = await s.document(owner, "an old deed");
  await s.call(owner, { action: "share", vault_id: vaultId, document_id: documentId });
  assert.equal((await s.call(member, { action: "download_url", document_id: documentId })).status, 200);
  const [opened] = await s.world.sql`
    select count(*)::int as n from private.document_opens where document_id = ${documentId}`;
  assert.equal(opened.n, 1, "the open is recorded where users cannot write");

  const [doc] = await s.world.sql`
    select user_id, file_path, file_size from public.documents where id = ${documentId}`;
  await s.world.sql`
    insert into private.document_archive (document_id, user_id, file_path, size_bytes, state)
    values (${documentId}, ${doc.user_id}, ${doc.file_path}, ${doc.file_size}, 'archived')`;
  await s.world.sql`update public.documents set storage_tier = 'archived' where id = ${documentId}`;
  const signedBefore = s.storage.signed.length;
  const archived = await s.call(member, { action: "download_url", document_id: documentId });
  assert.equal(archived.status, 202, JSON.stringify(archived.body));
  assert.equal(archived.body.storage_tier, "archived");
  assert.equal(archived.body.restoring, true);
  assert.equal(archived.body.retry_after_seconds, 900);
  assert.equal(s.storage.signed.length, signedBefore, "Storage is not asked to sign a file it does not hold");
  const [entry] = await s.world.sql`
    select restore_requested_at is not null as asked from private.document_archive where document_id = ${documentId}`;
  assert.equal(entry.asked, true, "the restore pass brings it back");
  await s.world.sql`delete from private.document_archive where document_id = ${documentId}`;
});

Deno.test("a removed member loses the vault and its documents at once", async () => {
  await using s = await setup();
  const [owner, member] = [await s.user(), await s.user()];
  const vaultId = await s.vaultWith(owner, member);
  const documentId = await s.document(owner);
  await s.call(owner, { action: "share", vault_id: vaultId, document_id: documentId });
  assert.equal((await s.call(member, { action: "download_url", document_id: documentId })).status, 200);

  const removed = await s.call(owner, { action: "remove_member", vault_id: vaultId, user_id: member.id });
  assert.equal(removed.status, 200, JSON.stringify(removed.body));
  assert.equal((await s.call(member, { action: "download_url", document_id: documentId })).status, 404);
  assert.equal((await s.call(member, { action: "list_members", vault_id: vaultId })).status, 404);
  const vaults = await s.call(member, { action: "list_vaults" });
  assert.deepEqual(vaults.body.vaults, []);
});

Deno.test("a member may leave; the owner cannot be removed", async () => {
  await using s = await setup();
  const [owner, member] = [await s.user(), await s.user()];
  const vaultId = await s.vaultWith(owner, member);
  const ownerGone = await s.call(member, { action: "remove_member", vault_id: vaultId, user_id: owner.id });
  assert.equal(ownerGone.status, 404);
  const left = await s.call(member, { action: "remove_member", vault_id: vaultId, user_id: member.id });
  assert.equal(left.status, 200);
  const members = await s.call(owner, { action: "list_members", vault_id: vaultId });
  assert.deepEqual(members.body.members.map((m: Loose) => m.role), ["owner"]);
});

Deno.test("an invitation is accepted only by the confirmed owner of its address, once, before it expires", async () => {
  await using s = await setup();
  const [owner, invitee, stranger] = [await s.user(), await s.user(), await s.user()];
  const vault = await s.call(owner, { action: "create_vault", name: "Family" });
  const vaultId = vault.body.vault.id;
  const invited = await s.call(owner, { action: "invite", vault_id: vaultId, email: invitee.email.toUpperCase() });
  assert.equal(invited.status, 201);
  assert.equal(invited.body.invitation.email, invitee.email, "addresses are stored lower-case");
  const repeated = await s.call(owner, { action: "invite", vault_id: vaultId, email: invitee.email });
  assert.equal(repeated.status, 200, "inviting the same address again returns the open invitation");
  assert.equal(repeated.body.invitation.id, invited.body.invitation.id);
  const invitationId = invited.body.invitation.id;

  const mine = await s.call(invitee, { action: "list_invitations" });
  assert.deepEqual(mine.body.invitations.map((i: Loose) => [i.id, i.vault_name]), [[invitationId, "Family"]]);
  assert.ok(!("invited_by" in mine.body.invitations[0]), "the invitee does not learn the inviter's account id");
  assert.deepEqual((await s.call(stranger, { action: "list_invitations" })).body.invitations, []);

  const stolen = await s.call(stranger, { action: "accept_invitation", invitation_id: invitationId });
  assert.equal(stolen.status, 404, "another account cannot accept it");
  assert.equal(stolen.body.error.code, "invitation_not_found");

  // Supabase Auth has not confirmed the address: the profile's (user-edited) e-mail does not count.
  await s.world.sql`update auth.users set email_confirmed_at = null where id = ${invitee.id}`;
  assert.equal((await s.call(invitee, { action: "accept_invitation", invitation_id: invitationId })).status, 404);
  await s.world.sql`update auth.users set email_confirmed_at = now() where id = ${invitee.id}`;

  const accepted = await s.call(invitee, { action: "accept_invitation", invitation_id: invitationId });
  assert.equal(accepted.status, 200);
  assert.equal(accepted.body.membership.role, "member");
  const twice = await s.call(invitee, { action: "accept_invitation", invitation_id: invitationId });
  assert.equal(twice.status, 200, "accepting again returns the same membership");
  assert.equal(twice.body.membership.member_id, accepted.body.membership.member_id);

  const late = await s.call(owner, { action: "invite", vault_id: vaultId, email: stranger.email });
  await s.world.sql`update public.family_invitations set expires_at = now() - interval '1 second'
                    where id = ${late.body.invitation.id}`;
  const expired = await s.call(stranger, { action: "accept_invitation", invitation_id: late.body.invitation.id });
  assert.equal(expired.status, 410);
  assert.equal(expired.body.error.code, "invitation_expired");
});

Deno.test("a revoked invitation cannot be accepted", async () => {
  await using s = await setup();
  const [owner, invitee] = [await s.user(), await s.user()];
  const vault = await s.call(owner, { action: "create_vault", name: "Family" });
  const invited = await s.call(owner, { action: "invite", vault_id: vault.body.vault.id, email: invitee.email });
  const revoked = await s.call(owner, { action: "revoke_invitation", invitation_id: invited.body.invitation.id });
  assert.equal(revoked.status, 200);
  assert.equal(revoked.body.invitation.status, "revoked");
  const accepted = await s.call(invitee, { action: "accept_invitation", invitation_id: invited.body.invitation.id });
  assert.equal(accepted.status, 404);
});

Deno.test("only the owner hands out or takes away the admin role; admins manage members", async () => {
  await using s = await setup();
  const [owner, admin, member, admin2] = [await s.user(), await s.user(), await s.user(), await s.user()];
  const vaultId = await s.vaultWith(owner, admin, "admin");
  const byAdmin = await s.call(admin, { action: "invite", vault_id: vaultId, email: member.email });
  assert.equal(byAdmin.status, 201, "an admin invites members");
  await s.call(member, { action: "accept_invitation", invitation_id: byAdmin.body.invitation.id });

  const adminMakesAdmin = await s.call(admin, {
    action: "invite",
    vault_id: vaultId,
    email: admin2.email,
    role: "admin",
  });
  assert.equal(adminMakesAdmin.status, 403);
  assert.equal(adminMakesAdmin.body.error.code, "not_allowed");
  const promote = await s.call(admin, { action: "set_role", vault_id: vaultId, user_id: member.id, role: "admin" });
  assert.equal(promote.status, 403, "an admin cannot promote a member to admin");
  const demote = await s.call(admin, { action: "set_role", vault_id: vaultId, user_id: member.id, role: "viewer" });
  assert.equal(demote.status, 200, "an admin changes a member to viewer");
  assert.equal(demote.body.member.role, "viewer");

  const memberInvites = await s.call(member, { action: "invite", vault_id: vaultId, email: admin2.email });
  assert.equal(memberInvites.status, 403, "a viewer does not invite");
  const memberPromotes = await s.call(member, {
    action: "set_role",
    vault_id: vaultId,
    user_id: member.id,
    role: "member",
  });
  assert.equal(memberPromotes.status, 404, "a viewer changes no role, not even their own");

  const ownerInvitesAdmin = await s.call(owner, {
    action: "invite",
    vault_id: vaultId,
    email: admin2.email,
    role: "admin",
  });
  assert.equal(ownerInvitesAdmin.status, 201);
  await s.call(admin2, { action: "accept_invitation", invitation_id: ownerInvitesAdmin.body.invitation.id });
  const adminRemovesAdmin = await s.call(admin, { action: "remove_member", vault_id: vaultId, user_id: admin2.id });
  assert.equal(adminRemovesAdmin.status, 403, "an admin does not remove a fellow admin");
  const ownerDemotes = await s.call(owner, {
    action: "set_role",
    vault_id: vaultId,
    user_id: admin2.id,
    role: "member",
  });
  assert.equal(ownerDemotes.status, 200);
  const ownerRole = await s.call(owner, { action: "set_role", vault_id: vaultId, user_id: owner.id, role: "member" });
  assert.equal(ownerRole.status, 404, "the owner's own row is never changed");

  const [row] = await s.world.sql`select count(*)::int as n from public.family_members where vault_id = ${vaultId}`;
  assert.equal(row.n, 4);
});

Deno.test("members cannot be added without an invitation, even by direct SQL as the vault's owner", async () => {
  await using s = await setup();
  const [owner, other] = [await s.user(), await s.user()];
  const vault = await s.call(owner, { action: "create_vault", name: "Family" });
  await assert.rejects(
    s.world.sql.begin(async (tx) => {
      await tx`select set_config('role', 'authenticated', true),
                      set_config('request.jwt.claims', ${
        JSON.stringify({ sub: owner.id, role: "authenticated" })
      }, true)`;
      await tx`insert into public.family_members (vault_id, user_id) values (${vault.body.vault.id}, ${other.id})`;
    }),
    /permission denied/,
  );
});

Deno.test("outsiders see nothing of another family's vault and share nothing into it", async () => {
  await using s = await setup();
  const [owner, member, outsider] = [await s.user(), await s.user(), await s.user()];
  const vaultId = await s.vaultWith(owner, member);
  const ownersDocument = await s.document(owner);
  const outsidersDocument = await s.document(outsider);

  for (const action of ["list_members", "list_documents"]) {
    const answer = await s.call(outsider, { action, vault_id: vaultId });
    assert.equal(answer.status, 404, action);
    assert.equal(answer.body.error.code, "vault_not_found");
  }
  const intoTheirs = await s.call(outsider, { action: "share", vault_id: vaultId, document_id: outsidersDocument });
  assert.equal(intoTheirs.status, 404);
  const notMine = await s.call(member, { action: "share", vault_id: vaultId, document_id: ownersDocument });
  assert.equal(notMine.status, 403, "a member cannot share the owner's document");
  const invite = await s.call(outsider, { action: "invite", vault_id: vaultId, email: "friend@example.test" });
  assert.equal(invite.status, 404);
  const download = await s.call(outsider, { action: "download_url", document_id: ownersDocument });
  assert.equal(download.status, 404);
  const [row] = await s.world
    .sql`select count(*)::int as n from public.family_vault_documents where vault_id = ${vaultId}`;
  assert.equal(row.n, 0);
});

Deno.test("bad input is answered 400 naming the field", async () => {
  await using s = await setup();
  const user = await s.user();
  const cases: [unknown, string][] = [
    [{ action: "explode" }, "action: must be one of create_vault"],
    [{}, "action"],
    [{ action: "invite", vault_id: "nope", email: "a@b.test" }, "vault_id: must be a UUID"],
    [{ action: "invite", vault_id: crypto.randomUUID(), email: "not-an-address" }, "email: must be an e-mail address"],
    [{ action: "invite", vault_id: crypto.randomUUID(), email: "a@b.test", role: "owner" }, "role: must be admin"],
    [{ action: "create_vault", name: "" }, "name: must not be empty"],
    [{ action: "list_vaults", user_id: crypto.randomUUID() }, "user_id"],
  ];
  for (const [body, expected] of cases) {
    const answer = await s.call(user, body);
    assert.equal(answer.status, 400, JSON.stringify(body));
    assert.match(answer.body.error.message, new RegExp(expected), JSON.stringify(answer.body));
  }
  const [row] = await s.world.sql`select count(*)::int as n from public.family_vaults where owner_id = ${user.id}`;
  assert.equal(row.n, 0);
});

Deno.test("Storage failures, missing files, the anon key and the rate limit are answered with their codes", async () => {
  await using s = await setup();
  const owner = await s.user();
  const documentId = await s.document(owner);
  s.storage.mode = "error_500";
  const down = await s.call(owner, { action: "download_url", document_id: documentId });
  assert.equal(down.status, 502);
  assert.equal(down.body.error.code, "storage_unavailable");
  s.storage.mode = "ok";
  s.storage.objects.clear();
  const missing = await s.call(owner, { action: "download_url", document_id: documentId });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, "file_not_found");

  const anon = await s.call(await anonKey(), { action: "list_vaults" });
  assert.equal(anon.status, 401);
  await s.world.setRequestsThisHour(owner.id, NAME, 100);
  const limited = await s.call(owner, { action: "list_vaults" });
  assert.equal(limited.status, 429);
  assert.equal(limited.body.error.code, "rate_limited");
});

Deno.test("a vault takes at most 25 open invitations", async () => {
  await using s = await setup();
  const owner = await s.user();
  // Premium: 50 invitations a day, so the vault's own bound is the one reached.
  await s.world.sql`update public.profiles set subscription_tier = 'premium' where id = ${owner.id}`;
  const vault = await s.call(owner, { action: "create_vault", name: "Big family" });
  await s.world.sql`
    insert into public.family_invitations (vault_id, email, invited_by)
    select ${vault.body.vault.id}, 'cousin' || n || '@example.test', ${owner.id} from generate_series(1, 25) n`;
  const one = await s.call(owner, { action: "invite", vault_id: vault.body.vault.id, email: "more@example.test" });
  assert.equal(one.status, 409);
  assert.equal(one.body.error.code, "limit_reached");
});

Deno.test("the owner deletes a vault with admins in it; its sharing ends with it", async () => {
  await using s = await setup();
  const [owner, admin] = [await s.user(), await s.user()];
  const vaultId = await s.vaultWith(owner, admin, "admin");
  const documentId = await s.document(owner);
  await s.call(owner, { action: "share", vault_id: vaultId, document_id: documentId });
  await s.world.sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true),
                    set_config('request.jwt.claims', ${
      JSON.stringify({ sub: owner.id, role: "authenticated" })
    }, true)`;
    const deleted = await tx`delete from public.family_vaults where id = ${vaultId} returning id`;
    assert.equal(deleted.length, 1);
  });
  assert.equal((await s.call(admin, { action: "download_url", document_id: documentId })).status, 404);
});

Deno.test("an invitation is e-mailed once when a provider is set, and stands even when the e-mail fails", async () => {
  const sendgrid = startFakeSendGrid();
  try {
    await using s = await setup({
      SENDGRID_API_KEY: SENDGRID_TEST_KEY,
      SENDGRID_BASE_URL: sendgrid.url,
      INVITATION_EMAIL_FROM: "family@docuvault.example.test",
      FRONTEND_URL: "https://app.example.test",
    });
    const [owner, invitee, second] = [await s.user(), await s.user(), await s.user()];
    const vault = await s.call(owner, { action: "create_vault", name: "The Smiths" });
    const invited = await s.call(owner, { action: "invite", vault_id: vault.body.vault.id, email: invitee.email });
    assert.equal(invited.body.email, "sent");
    const again = await s.call(owner, { action: "invite", vault_id: vault.body.vault.id, email: invitee.email });
    assert.equal(again.body.email, undefined, "the open invitation is not e-mailed again");
    const mails = sendgrid.mails.filter((m) => m.to.includes(invitee.email));
    assert.equal(mails.length, 1);
    assert.equal(mails[0].from, "family@docuvault.example.test");
    assert.equal(mails[0].subject, "You are invited to a family vault");
    assert.match(mails[0].text, /"The Smiths"/);
    assert.match(mails[0].text, /https:\/\/app\.example\.test\//);

    // The inviter's text never reaches the subject, and reaches the body on one line, cut at 60 characters.
    const name = `Smiths\r\nBcc: everyone@example.test ${"x".repeat(200)}`;
    const odd = await s.call(owner, { action: "create_vault", name: name.slice(0, 100) });
    await s.call(owner, { action: "invite", vault_id: odd.body.vault.id, email: second.email });
    const [oddMail] = sendgrid.mails.filter((m) => m.to.includes(second.email));
    assert.equal(oddMail.subject, "You are invited to a family vault");
    const shown = `Smiths Bcc: everyone@example.test ${"x".repeat(100)}`.slice(0, 60);
    assert.ok(oddMail.text.includes(`"${shown}"`), oddMail.text);
    assert.ok(!oddMail.text.includes(`${shown}x`), "cut at 60 characters");

    sendgrid.mode = "error_500";
    const failed = await s.call(owner, { action: "invite", vault_id: vault.body.vault.id, email: second.email });
    assert.equal(failed.status, 201, "the invitation is made even though the e-mail failed");
    assert.equal(failed.body.email, "failed");
    const accepted = await s.call(second, { action: "accept_invitation", invitation_id: failed.body.invitation.id });
    assert.equal(accepted.status, 200);
  } finally {
    await sendgrid.close();
  }
});

Deno.test("without an e-mail provider the invitation is made and says so", async () => {
  await using s = await setup();
  const [owner, invitee] = [await s.user(), await s.user()];
  const vault = await s.call(owner, { action: "create_vault", name: "Family" });
  const invited = await s.call(owner, { action: "invite", vault_id: vault.body.vault.id, email: invitee.email });
  assert.equal(invited.status, 201);
  assert.equal(invited.body.email, "not_configured");
});

Deno.test("issue 20 hole 5: a free account sends 20 invitations a day, however many it deletes", async () => {
  await using s = await setup();
  const owner = await s.user();
  const vaults = [];
  for (let i = 0; i < 3; i++) {
    vaults.push((await s.call(owner, { action: "create_vault", name: `V${i}` })).body.vault.id);
  }
  for (let n = 0; n < 20; n++) {
    const sent = await s.call(owner, { action: "invite", vault_id: vaults[n % 3], email: `spam${n}@example.test` });
    assert.equal(sent.status, 201);
  }
  // Deleting them (a vault admin may) used to reset the count.
  await s.world.sql.begin(async (tx) => {
    await tx`select set_config('role', 'authenticated', true),
                    set_config('request.jwt.claims', ${
      JSON.stringify({ sub: owner.id, role: "authenticated" })
    }, true)`;
    assert.equal((await tx`delete from public.family_invitations returning id`).length, 20);
  });
  const one = await s.call(owner, { action: "invite", vault_id: vaults[0], email: "one-more@example.test" });
  assert.equal(one.status, 429);
  assert.equal(one.body.error.code, "spend_budget_exceeded");
  assert.equal(one.body.error.details.unit, "family_invitations");
  assert.equal(one.body.error.details.daily_limit, 20);
  assert.match(one.body.error.details.resets_at, /T00:00:00\.000Z$/);
});

Deno.test("a file whose name needs encoding is served through its signed URL", async () => {
  await using s = await setup();
  const owner = await s.user();
  const documentId = await s.document(owner, "scan", `tax return 2025 #1 (é).pdf`);
  const download = await s.call(owner, { action: "download_url", document_id: documentId });
  assert.equal(download.status, 200, JSON.stringify(download.body));
  assert.ok(!download.body.url.includes(" "), download.body.url);
  assert.equal(await (await fetch(download.body.url)).text(), "scan");
});
