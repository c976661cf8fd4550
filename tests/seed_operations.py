"""beachfront's session operations (tests/seeds/beachfront-session-api.md), verbatim, and the
variables both seed documents give them; test_sessions.py checks each against its document."""

from __future__ import annotations

from typing import Any

CREATE_SESSION = """mutation CreateSession($variables: SessionInput) {
  createSession(options: $variables) {
    detail {
      cart
      created
      customer {
        name
        username
      }
      id
      updated
    }
  }
}"""

GET_SESSION = """query GetSession($variables: SessionQuery) {
  session(options: $variables) {
    detail {
      cart
      created
      customer {
        name
        username
      }
      id
      updated
    }
  }
}"""

UPDATE_SESSION = """mutation UpdateSession($changes: SessionInput, $variables: SessionQuery) {
  updateSession(changes: $changes, options: $variables) {
    detail {
      cart
      created
      customer {
        name
        username
      }
      id
      updated
    }
  }
}"""

DELETE_SESSION = """mutation DeleteSession($id: ID) {
  deleteSession(options: { id: $id }) {
    success
  }
}"""

# The seeds' variables (beachfront writes them as JavaScript object literals).
GADGET_VARIABLES: dict[str, Any] = {}
LOG_IN_SEED_VARIABLES: dict[str, Any] = {"session": {}}
SEED_ID = "43ed9b9b-e36a-42bc-970b-4545ff66c2cf"
SEED_CART = ["bass.undernet", "forte.undernet", "my.undernet", "serenade.undernet", "yamato.undernet"]
CREATE_VARIABLES = {"variables": {"cart": SEED_CART}}
GET_VARIABLES = {"variables": {"id": SEED_ID}}
UPDATE_VARIABLES = {"changes": {"cart": SEED_CART}, "variables": {"id": SEED_ID}}
DELETE_VARIABLES = {"id": SEED_ID}

# Companion operations of these tests.
