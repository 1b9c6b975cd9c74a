"""Access that comes from sharing: project teams and family vaults, and that it ends with the membership."""

from __future__ import annotations

import psycopg
import pytest

from tests.schema.sessions import acting_as, as_role, new_user, visible
from tests.schema.world import insert


def test_project_team_member_sees_the_projects_rows_and_a_non_member_does_not(db):
    owner, member, outsider = new_user(db), new_user(db), new_user(db)
    project = insert(db, "projects", user_id=owner, name="Launch")
    workflow = insert(db, "workflows", user_id=owner, project_id=project, name="Release checklist")
    private_workflow = insert(db, "workflows", user_id=owner, name="Personal")

    with as_role(db, "authenticated", owner):
        insert(db, "project_team", project_id=project, user_id=member)

    with as_role(db, "authenticated", member):
        assert visible(db, "projects", project)
        assert visible(db, "workflows", workflow)
        assert not visible(db, "workflows", private_workflow)
        team = db.execute("select user_id::text from project_team where project_id = %s", (project,)).fetchall()
        assert {r[0] for r in team} == {member}
        # Seeing is not owning: a member cannot rename the project.
        assert db.execute("update projects set name = 'x' where id = %s", (project,)).rowcount == 0
    with as_role(db, "authenticated", outsider):
        assert not visible(db, "projects", project)
        assert not visible(db, "workflows", workflow)
        assert db.execute("select count(*) from project_team").fetchone()[0] == 0


def test_removing_a_team_member_removes_their_access(db):
    owner, member = new_user(db), new_user(db)
    project = insert(db, "projects", user_id=owner, name="Launch")
    insert(db, "project_team", project_id=project, user_id=member)
    with as_role(db, "authenticated", member):
        assert visible(db, "projects", project)
    with as_role(db, "authenticated", owner):
        assert db.execute("delete from project_team where user_id = %s", (member,)).rowcount == 1
    with as_role(db, "authenticated", member):
        assert not visible(db, "projects", project)


def test_family_member_sees_shared_documents_and_not_unshared_ones(db):
    parent, child, stranger = new_user(db), new_user(db), new_user(db)
    # Members join by accepting an invitation (private.accept_family_invitation); here the rows are made directly.
    vault = insert(db, "family_vaults", owner_id=parent, name="Family")
    insert(db, "family_members", vault_id=vault, user_id=child)
    with as_role(db, "authenticated", parent):
        shared = insert(
            db,
            "documents",
            user_id=parent,
            title="Insurance",
            file_name="i.pdf",
            file_path=f"{parent}/i.pdf",
            file_size=10,
        )
        unshared = insert(
            db, "documents", user_id=parent, title="Diary", file_name="d.pdf", file_path=f"{parent}/d.pdf", file_size=10
        )
        insert(db, "family_vault_documents", vault_id=vault, document_id=shared, shared_by=parent)

    with as_role(db, "authenticated", child):
        assert visible(db, "family_vaults", vault)
        assert visible(db, "documents", shared)
        assert not visible(db, "documents", unshared)
        # Read-only for the family: the child can neither edit nor delete the parent's document.
        assert db.execute("update documents set title = 'x' where id = %s", (shared,)).rowcount == 0
        assert db.execute("delete from documents where id = %s", (shared,)).rowcount == 0
    with as_role(db, "authenticated", stranger):
        assert not visible(db, "documents", shared)
        assert not visible(db, "family_vaults", vault)


def test_removing_a_family_member_removes_their_access(db):
    parent, child = new_user(db), new_user(db)
    vault = insert(db, "family_vaults", owner_id=parent, name="Family")
    insert(db, "family_members", vault_id=vault, user_id=child)
    document = insert(
        db,
        "documents",
        user_id=parent,
        title="Deed",
        file_name="deed.pdf",
        file_path=f"{parent}/deed.pdf",
        file_size=10,
    )
    insert(db, "family_vault_documents", vault_id=vault, document_id=document, shared_by=parent)
    with as_role(db, "authenticated", child):
        assert visible(db, "documents", document)
    with as_role(db, "authenticated", parent):
        assert db.execute("delete from family_members where user_id = %s", (child,)).rowcount == 1
    with as_role(db, "authenticated", child):
        assert not visible(db, "documents", document)
        assert not visible(db, "family_vaults", vault)


def test_a_member_cannot_share_someone_elses_document(db):
    parent, child = new_user(db), new_user(db)
    vault = insert(db, "family_vaults", owner_id=parent, name="Family")
    insert(db, "family_members", vault_id=vault, user_id=child)
    document = insert(
        db,
        "documents",
        user_id=parent,
        title="Deed",
        file_name="deed.pdf",
        file_path=f"{parent}/deed.pdf",
        file_size=10,
    )
    with (
        acting_as(db, "authenticated", child),
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"),
    ):
        insert(db, "family_vault_documents", vault_id=vault, document_id=document, shared_by=child)
