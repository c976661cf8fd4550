"""Role keys and their display names (Gadget's `Role { key name }`)."""

UNAUTHENTICATED = "unauthenticated"
SIGNED_IN = "signed-in"
SYSTEM_ADMIN = "system-admin"

_NAMES = {UNAUTHENTICATED: "Unauthenticated", SIGNED_IN: "Signed In", SYSTEM_ADMIN: "System Admin"}


def role_object(key: str) -> dict[str, str]:
    name = _NAMES.get(key) or key.replace("-", " ").replace("_", " ").title()
    return {"key": key, "name": name}
