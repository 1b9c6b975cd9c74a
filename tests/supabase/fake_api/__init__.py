"""A stateful stand-in for the Supabase Management API and a project's Storage API, on 127.0.0.1, checked against
the official OpenAPI spec. server.py holds the HTTP plumbing and the checks; each API resource (projects, billing,
settings, function_secrets, functions, custom_hostname, logs, storage, branches) is a module of its own with its ROUTES and handlers,
so a new endpoint goes into its resource's module (or a new one listed in server.RESOURCES)."""

from tests.supabase.fake_api.model import Call, Fault, Function, Project, Reply
from tests.supabase.fake_api.server import FakeSupabase

__all__ = ["Call", "FakeSupabase", "Fault", "Function", "Project", "Reply"]
