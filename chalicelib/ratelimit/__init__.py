"""Rate limits per caller (a session, an API key, or the client's address when anonymous)."""
