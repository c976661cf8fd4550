"""The account lifecycle beyond logging in: password reset and email verification, Gadget's way."""
