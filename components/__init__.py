"""One ComponentResource per concern of the platform; __main__.py wires them together."""
