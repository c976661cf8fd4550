"""The session API's SDL: Gadget's current-session actions and beachfront's session operations."""

SESSION_SDL = """
"Gadget's error interface: every error of an action result has a message and a stable code."
interface ExecutionError {
  message: String!
  code: String!
}

type SimpleError implements ExecutionError {
  message: String!
  code: String!
}

type InvalidFieldError {
  apiIdentifier: String!
  message: String!
}

type GadgetModel {
  apiIdentifier: String!
}

type InvalidRecordError implements ExecutionError {
  message: String!
  code: String!
  validationErrors: [InvalidFieldError!]
  record: JSON
  model: GadgetModel
}

"An email address, given as a string."
scalar LogInViaEmailEmailInput

type LogInViaEmailSessionResult {
  success: Boolean!
  errors: [ExecutionError!]
  session: Session
}

type LogOutSessionResult {
  success: Boolean!
  errors: [ExecutionError!]
  session: Session
}

type SignUpResult {
  success: Boolean!
  errors: [ExecutionError!]
  session: Session
}

type ChangePasswordResult {
  success: Boolean!
  errors: [ExecutionError!]
  session: Session
}

type EndSessionsResult {
  success: Boolean!
  errors: [ExecutionError!]
  "The caller's own session, logged in again under a new token, when it ended its own user's sessions."
  session: Session
}

extend type Session {
  userId: ID
  shopId: ID
  "Every field of the session, as one JSON object."
  _all: JSON!
}

"A session's changes: the domain names in its cart, and its customer (a User id)."
input SessionInput {
  cart: [String]
  customer: ID
}

"Which session: by id (the caller's own session when omitted)."
input SessionQuery {
  id: ID
}

"Which sessions (system-admin only): a page of them, optionally of one customer."
input SessionsQuery {
  customer: ID
  first: Int
  after: String
}

type SessionResult {
  detail: Session
}

type SessionsResult {
  detail: [Session!]!
  "Pass as `after` for the next page; null on the last page."
  cursor: String
}

type SessionDeleteResult {
  success: Boolean!
}

extend type Query {
  "The caller's session, created (anonymous) on first use; its token comes in x-set-authorization."
  currentSession: Session
  session(options: SessionQuery): SessionResult
  sessions(options: SessionsQuery): SessionsResult
}

extend type Mutation {
  logInViaEmail(email: LogInViaEmailEmailInput, password: String): LogInViaEmailSessionResult
  logOut: LogOutSessionResult
  signUp(email: String!, password: String!, name: String, username: String): SignUpResult
  changePassword(currentPassword: String!, newPassword: String!): ChangePasswordResult
  "End every session of a user: system-admin for any user, a signed-in user for itself."
  endSessions(userId: ID!): EndSessionsResult
  createSession(options: SessionInput): SessionResult
  updateSession(changes: SessionInput, options: SessionQuery): SessionResult
  deleteSession(options: SessionQuery): SessionDeleteResult
}
"""
