"""Backend tests (per target), organised by stage as in STYLE.md."""
