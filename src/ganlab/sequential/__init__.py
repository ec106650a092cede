"""Sequential studies: seeds added round by round until each comparison is decided (docs/studies.md)."""
