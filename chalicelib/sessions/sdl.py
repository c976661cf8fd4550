"""The session API's SDL: Gadget's current-session actions and beachfront's session operations."""

SESSION_SDL = """
"Gadget's error interface: every error of an action result has a message and a stable code."
interface ExecutionError {
  "What went wrong, for people."
  message: String!
  "What went wrong, for programs: GGT_INVALID_EMAIL_PASSWORD, GGT_PERMISSION_DENIED, ..."
  code: String!
}

"An error with nothing more to it than its message and code."
type SimpleError implements ExecutionError {
  "What went wrong, for people."
  message: String!
  "What went wrong, for programs."
  code: String!
}

"What is wrong with one field of a record."
type InvalidFieldError {
  "The field, by its API name."
  apiIdentifier: String!
  "What is wrong with it."
  message: String!
}

"A model, as Gadget names it in errors."
type GadgetModel {
  "The model's API name."
  apiIdentifier: String!
}

"A record that could not be saved (GGT_INVALID_RECORD), with what is wrong with each field."
type InvalidRecordError implements ExecutionError {
  "What went wrong, for people."
  message: String!
  "GGT_INVALID_RECORD."
  code: String!
  "What is wrong, field by field."
  validationErrors: [InvalidFieldError!]
  "The record as it would have been saved."
  record: JSON
  "The record's model."
  model: GadgetModel
}

"An email address, given as a string."
scalar LogInViaEmailEmailInput

"The result of logInViaEmail."
type LogInViaEmailSessionResult {
  "Whether the session is logged in."
  success: Boolean!
  "Why not, when it is not."
  errors: [ExecutionError!]
  "The caller's session, under a new token (x-set-authorization)."
  session: Session
}

"The result of logOut."
type LogOutSessionResult {
  "Whether the session is logged out."
  success: Boolean!
  "Why not, when it is not."
  errors: [ExecutionError!]
  "The caller's session, anonymous again, under a new token (x-set-authorization)."
  session: Session
}

"The result of signUp."
type SignUpResult {
  "Whether the user was created and the session logged in as it."
  success: Boolean!
  "Why not, when it was not."
  errors: [ExecutionError!]
  "The caller's session, logged in, under a new token (x-set-authorization)."
  session: Session
}

"The result of changePassword."
type ChangePasswordResult {
  "Whether the password changed."
  success: Boolean!
  "Why not, when it did not."
  errors: [ExecutionError!]
  "The caller's session, under a new token (x-set-authorization)."
  session: Session
}

"The result of endSessions."
type EndSessionsResult {
  "Whether the user's sessions ended."
  success: Boolean!
  "Why not, when they did not."
  errors: [ExecutionError!]
  "The caller's own session, logged in again under a new token, when it ended its own user's sessions."
  session: Session
}

extend type Session {
  "The id of the user the session is logged in as; null when anonymous."
  userId: ID
  "The id of the session's Shopify shop, if any."
  shopId: ID
  "Every field of the session, as one JSON object."
  _all: JSON!
}

"A session's changes: the domain names in its cart, and its customer (a User id)."
input SessionInput {
  "Domain names: checked, and stored in lower case."
  cart: [String]
  "A User id: only that user (or system-admin) may set it."
  customer: ID
}

"Which session: by id (the caller's own session when omitted)."
input SessionQuery {
  "The session's id; the caller's own session when omitted."
  id: ID
}

"Which sessions (system-admin only): a page of them, optionally of one customer."
input SessionsQuery {
  "Only the sessions of this customer (a User id)."
  customer: ID
  "At most this many sessions."
  first: Int
  "The cursor of the previous page."
  after: String
}

"A session, when it exists for the caller."
type SessionResult {
  "The session; null when it does not exist or the caller may not see it."
  detail: Session
}

"A page of sessions."
type SessionsResult {
  "The sessions of this page."
  detail: [Session!]!
  "Pass as `after` for the next page; null on the last page."
  cursor: String
}

"The result of deleteSession."
type SessionDeleteResult {
  "Whether the session was deleted."
  success: Boolean!
}

extend type Query {
  "The caller's session, created (anonymous) on first use; its token comes in x-set-authorization."
  currentSession: Session
  "A session by id (the caller's own when omitted): its bearer's, or any for system-admin."
  session(
    "Which session (the caller's own when omitted)."
    options: SessionQuery
  ): SessionResult
  "A page of sessions, for system-admin."
  sessions(
    "Which page, and whose sessions."
    options: SessionsQuery
  ): SessionsResult
}

extend type Mutation {
  "Logs the caller's session in as the user with this email and password."
  logInViaEmail(
    "The user's email."
    email: LogInViaEmailEmailInput
    "The user's password."
    password: String
  ): LogInViaEmailSessionResult
  "Logs the caller's session out: it stays, anonymous, under a new token."
  logOut: LogOutSessionResult
  "Creates a user and logs the caller's session in as it."
  signUp(
    "The new user's email; unique."
    email: String!
    "The new user's password (8 to 256 characters)."
    password: String!
    "The new user's name."
    name: String
    "The new user's username."
    username: String
  ): SignUpResult
  "Changes the signed-in user's password."
  changePassword(
    "The password now."
    currentPassword: String!
    "The new password (8 to 256 characters)."
    newPassword: String!
  ): ChangePasswordResult
  "End every session of a user: system-admin for any user, a signed-in user for itself."
  endSessions(
    "The user whose sessions end."
    userId: ID!
  ): EndSessionsResult
  "Starts a further session (the caller's login kept); its token comes in x-set-authorization."
  createSession(
    "The new session's cart and customer."
    options: SessionInput
  ): SessionResult
  "Changes a session's cart or customer."
  updateSession(
    "What to change."
    changes: SessionInput
    "Which session (the caller's own when omitted)."
    options: SessionQuery
  ): SessionResult
  "Deletes a session."
  deleteSession(
    "Which session (the caller's own when omitted)."
    options: SessionQuery
  ): SessionDeleteResult
}
"""
