"""The account lifecycle's SDL: Gadget's reset and verification actions, in its action result format."""

ACCOUNT_SDL = """
"What sendResetPassword did: success is true whether or not the address has an account."
type SendResetPasswordResult {
  "Whether the request was taken (true for an unknown address too)."
  success: Boolean!
  "Why it was not, when success is false."
  errors: [ExecutionError!]
}

"What resetPassword did."
type ResetPasswordResult {
  "Whether the password was set."
  success: Boolean!
  "Why it was not (GGT_INVALID_TOKEN, a password too short), when success is false."
  errors: [ExecutionError!]
}

"What sendVerifyEmail did: success is true whether or not the address has an account."
type SendVerifyEmailResult {
  "Whether the request was taken (true for an unknown address too)."
  success: Boolean!
  "Why it was not, when success is false."
  errors: [ExecutionError!]
}

"What verifyEmail did."
type VerifyEmailResult {
  "Whether the email is now verified."
  success: Boolean!
  "Why it was not (GGT_INVALID_TOKEN), when success is false."
  errors: [ExecutionError!]
}

extend type Mutation {
  "Email a single-use password reset token to this address, if it has an account; the answer is the same either way."
  sendResetPassword(
    "The account's email address."
    email: String!
  ): SendResetPasswordResult
  "Set a new password with a reset token; every session of the user ends."
  resetPassword(
    "The token of the reset email."
    token: String!
    "The new password."
    password: String!
  ): ResetPasswordResult
  "Email a single-use verification token to this address, if it has an account; the answer is the same either way."
  sendVerifyEmail(
    "The account's email address."
    email: String!
  ): SendVerifyEmailResult
  "Mark the token's user's email as verified (User.emailVerified, where the schema declares it)."
  verifyEmail(
    "The token of the verification email."
    token: String!
  ): VerifyEmailResult
}
"""
