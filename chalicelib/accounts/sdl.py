"""The account lifecycle's SDL: Gadget's reset and verification actions, in its action result format."""

ACCOUNT_SDL = """
type SendResetPasswordResult {
  success: Boolean!
  errors: [ExecutionError!]
}

type ResetPasswordResult {
  success: Boolean!
  errors: [ExecutionError!]
}

type SendVerifyEmailResult {
  success: Boolean!
  errors: [ExecutionError!]
}

type VerifyEmailResult {
  success: Boolean!
  errors: [ExecutionError!]
}

extend type Mutation {
  "Email a single-use password reset token to this address, if it has an account; the answer is the same either way."
  sendResetPassword(email: String!): SendResetPasswordResult
  "Set a new password with a reset token; every session of the user ends."
  resetPassword(token: String!, password: String!): ResetPasswordResult
  "Email a single-use verification token to this address, if it has an account; the answer is the same either way."
  sendVerifyEmail(email: String!): SendVerifyEmailResult
  "Mark the token's user's email as verified (User.emailVerified, where the schema declares it)."
  verifyEmail(token: String!): VerifyEmailResult
}
"""
