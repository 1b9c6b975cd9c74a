"""Pulumi dynamic providers. Each module is pickled by reference into stack state, so module and class
names are permanent: renaming one breaks every stack that already holds it."""
