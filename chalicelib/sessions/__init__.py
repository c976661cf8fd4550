"""Sessions: Gadget's session model and email/password auth, and the beachfront session (cart) API."""
