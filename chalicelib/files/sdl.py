"""The file fields' SDL: the types a File field is read and written as, and the upload mutation.
Only a schema with a File field has it."""

STORED_FILE = "StoredFile"
STORED_FILE_INPUT = "StoredFileInput"

FILES_SDL = """
"A record's file: its bytes are in the stage's bucket, downloaded through `url`."
type StoredFile {
  "A presigned URL that downloads the file; it works for FILE_URL_SECONDS (15 minutes by default)."
  url: String!
  "The file's media type, as it was uploaded."
  mimeType: String!
  "The file's name, as the write that attached it named it."
  fileName: String!
  "The file's size in bytes."
  byteSize: Int!
}

"A file to attach to a record: an upload's token (createFileUpload), once its bytes are posted."
input StoredFileInput {
  "The token createFileUpload handed out with the upload target; it attaches one file, once."
  directUploadToken: String!
  "The file's name (default: file)."
  fileName: String
}

"Where to post a file's bytes, and the token that attaches them to a record."
type FileUpload {
  "POST the file here as multipart/form-data: every field of `fields`, then the file as `file`."
  url: String!
  "The form fields of the POST, its signed policy among them."
  fields: JSON!
  "The directUploadToken that attaches the file in a create or update: once, by this caller only."
  token: String!
  "When the target and the token stop working."
  expiresAt: DateTime!
  "The largest file the target takes, in bytes."
  maxBytes: Int!
}

extend type Mutation {
  "An upload target for a File field, of the record `id` (which the caller may update) or of a new record."
  createFileUpload(
    "The model, e.g. User."
    model: String!
    "The File field, e.g. avatar."
    field: String!
    "The record whose file it replaces; none for a record to create."
    id: ID
    "The file's media type, e.g. image/png: the upload must be of this type."
    mimeType: String!
  ): FileUpload
}
"""
