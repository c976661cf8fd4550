"""A schema for trust tests: a public model (Label) related to an owner-only one (Note), related in
turn to an admin-only one (Vault), so every rule can be tried through one readable and one
unreadable model, at two depths."""

from __future__ import annotations

# The session model as the session API needs it, for schemas of tests.
SESSION_TYPE = """
type Session @model {
  id: ID!
  state: RecordState
  user: User @relation(name: "SessionUser")
  roles: [Role!]
  cart: [String]
  customer: User @relation(name: "SessionCustomer")
  created: DateTime @createdTimestamp
  updated: DateTime @updatedTimestamp
  createdAt: DateTime! @createdTimestamp
  updatedAt: DateTime! @updatedTimestamp
  shop: Shop
  shopifySID: String
}
"""

TRUST_SCHEMA = (
    """
type User @model @access(read: ["owner"], update: ["owner"], owner: "id") {
  id: ID!
  email: Email! @unique
  password: Password
  name: String
  roles: [Role!] @default(value: ["signed-in"])
  state: RecordState
  notes: [Note] @relation(name: "NoteAuthor")
}

"""
    + SESSION_TYPE
    + """
type Shop @model {
  id: ID!
  name: String
}

type Label @model
  @access(
    read: ["unauthenticated", "signed-in"]
    create: ["signed-in"]
    update: ["signed-in"]
    delete: ["signed-in"]
    bulk: ["signed-in"]
  ) {
  id: ID!
  name: String
  notes: [Note] @relation(name: "NoteLabels")
}

type Note @model
  @access(
    read: ["owner"]
    create: ["signed-in"]
    update: ["owner"]
    delete: ["owner"]
    bulk: ["signed-in"]
    owner: "author"
  ) {
  id: ID!
  slug: String
  score: Int
  author: User @relation(name: "NoteAuthor")
  labels: [Label] @relation(name: "NoteLabels")
  vault: Vault @relation(name: "NoteVault")
}

type Vault @model @access(bulk: ["signed-in"]) {
  id: ID!
  code: String
  notes: [Note] @relation(name: "NoteVault")
}

type Memo @model @access(read: ["editor"], create: ["editor"], update: ["editor"], delete: ["editor"]) {
  id: ID!
  text: String
}
"""
)
