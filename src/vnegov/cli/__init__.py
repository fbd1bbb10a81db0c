"""The `vnegov` command."""
