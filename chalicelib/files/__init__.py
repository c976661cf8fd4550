"""File fields (`avatar: File`): bytes in the stage's S3 bucket, moved by presigned URLs.

A client asks `createFileUpload` for an upload target (a presigned POST, size and type bounded)
and a signed token, posts the bytes to S3 itself, then names the token in a create or update
input (`{directUploadToken, fileName}`). The write checks the token and the uploaded object,
stores the file's key, name, type and size on the record (never its bytes), and spends the
token in its transaction, which also records the bucket work to do once it has committed: the
upload moved under the files' prefix, and any file the write replaced, cleared or deleted removed
(by the request, or failing that by the cleanup job). A record's `url` is a
short-lived presigned GET, minted only for a caller who can read the record.
"""
