"""The file fields' part of the API: `createFileUpload` and each StoredFile's `url`.

A `url` is minted only where a StoredFile is served: in a record the caller can read (a record
it cannot read does not exist for it), so the record's read permission is the file's.
"""

from __future__ import annotations

import re
from typing import Any

from ariadne import MutationType, ObjectType
from graphql import GraphQLResolveInfo

from chalicelib.access.context import request
from chalicelib.access.permissions import Action, authorize, visible
from chalicelib.api import ids
from chalicelib.errors import INVALID_INPUT, ApiError, not_found
from chalicelib.files.sdl import FILES_SDL, STORED_FILE
from chalicelib.files.service import Files
from chalicelib.schema.registry import Field, Model, Registry
from chalicelib.store.records import RecordStore

# A media type as RFC 6838 names one: type/subtype, of restricted name characters.
_MIME_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")


class FilesApi:
    def __init__(self, registry: Registry, store: RecordStore, files: Files) -> None:
        self.registry = registry
        self.store = store
        self.files = files

    @property
    def sdl(self) -> str:
        return FILES_SDL

    def bindables(self) -> list[Any]:
        stored_file = ObjectType(STORED_FILE)
        stored_file.set_field("url", lambda stored, _info: self.files.url(stored))
        mutation = MutationType()
        mutation.set_field("createFileUpload", self.create_file_upload)
        return [stored_file, mutation]

    def create_file_upload(
        self,
        _obj: Any,
        info: GraphQLResolveInfo,
        model: str,
        field: str,
        mimeType: str,  # noqa: N803 (the GraphQL argument name)
        id: str | None = None,
    ) -> dict[str, Any]:
        context = request(info)
        target, file_field = self._file_field(model, field)
        if id is None:
            authorize(context, target, Action.CREATE)
        else:
            record = self.store.get(target, id) if ids.is_id_of(id, target.name) else None
            record = visible(context, target, record)
            if record is None:
                raise not_found(target.name, f"id {id!r}", "upload a file to")
            authorize(context, target, Action.UPDATE, record)
        if not _MIME_TYPE.fullmatch(mimeType):
            raise ApiError(INVALID_INPUT, f"{mimeType!r} is not a media type (type/subtype, e.g. image/png)")
        return self.files.upload_target(context, target, file_field, mimeType)

    def _file_field(self, model: str, field: str) -> tuple[Model, Field]:
        found = self.registry.models.get(model)
        if found is None or found.is_session:
            raise ApiError(INVALID_INPUT, f"no model {model!r} has file fields")
        file_field = found.fields.get(field)
        if file_field is None or not file_field.is_file:
            raise ApiError(INVALID_INPUT, f"{model}.{field} is not a File field")
        return found, file_field
