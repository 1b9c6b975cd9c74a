"""Dynamic providers over the Supabase Management API and each project's Storage API.

Importing this package has no side effects: the providers are pickled by reference, so their module
and class names are permanent once a stack has state.
"""
