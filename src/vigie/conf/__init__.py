"""Configuration helpers: environment readers, database URL, secret key."""
