"""Domain: vocabularies, land-use codes and errors (no I/O)."""
