"""Pulumi dynamic providers. Each module is pickled by reference into stack state, so module and class
names are permanent: renaming one breaks every stack that already holds it."""

from providers.message_first import install as _install_message_first

# The one effect of importing a provider, and only inside Pulumi's provider host: its errors show their message
# first (providers/message_first.py).
_install_message_first()
