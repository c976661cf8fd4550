"""Planning a mutation: input, nested relation writes included, turned into the changes of one transaction.

A link is written once, where it is stored (see `Storage`): a to-one's pointer, or an edge; a
to-many whose inverse is a to-one stores nothing of its own. Connecting a record whose to-one
inverse points elsewhere moves it: the old partner lets go in the same transaction, which holds
only if the record still points where it did when it was read. Nested `update`, `delete` and
`disconnect` reach only the parent's own related records. Deleting a record unlinks its to-one
partners in its transaction; children pointing at it and its edges are left to the cleanup job
(reads skip links to a missing record), so a delete costs the same however many links it has.

Every record a mutation writes is authorized: the records it creates, updates and deletes as
such, and every other record it touches (a connected record, a disconnected one, the previous
partner of a to-one that moves, the records a delete unlinks) as an update of that record, by
`finish` before anything is sent. A record the caller may not read is not found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.access.context import RequestContext
from chalicelib.access.permissions import Action, allowed, authorize, check_managed, owns, unrestricted, visible
from chalicelib.accounts.addresses import readdress
from chalicelib.api import ids, scalars
from chalicelib.api.unique import find_unique, unique_keys
from chalicelib.errors import INVALID_INPUT, INVALID_TOKEN, ApiError, not_found, permission_denied
from chalicelib.hooks.events import CREATE, DELETE, UPDATE
from chalicelib.hooks.installed import Written
from chalicelib.passwords import hash_password
from chalicelib.query.reader import Reader
from chalicelib.query.where import relation_paths
from chalicelib.schema.registry import Field, Model, Registry, Storage
from chalicelib.store.attributes import storable_number
from chalicelib.store.changes import VERSION, Changes, Edge, ObjectWork, Update
from chalicelib.store.records import Record, RecordStore, linked_model, needs_current

# The most records a deletion leaves linked through one relation that are read to authorize them
# one by one (see `WritePlan._left_linked`).
MAX_CHECKED = 1000


class NeedsRead(Exception):
    """The `before` steps of an update planned without a read left input that needs one (a
    relation, a unique or counted field): plan it again from the record as read."""


class WritePlan:
    def __init__(self, registry: Registry, store: RecordStore, context: RequestContext, now: str | None = None) -> None:
        """`now`: the time the plan's timestamps take (by default the clock's, read once: every
        record a mutation creates or changes takes the same)."""
        self.registry = registry
        self.store = store
        self.context = context
        self._now = now
        self.changes = Changes()
        # Records already authorized for what the plan does to them, by (model name, id).
        self._authorized: set[tuple[str, str]] = set()
        # Records whose relation changes with no write of their own (see `_let_go`), by (model name, id).
        self._touched: dict[tuple[str, str], Model] = {}
        # The records written, for the `after` steps run once the plan has committed (`committed`).
        self._written: list[Written] = []

    def now(self) -> str:
        if self._now is None:
            self._now = scalars.now()
        return self._now

    def find(self, model: Model, where: dict[str, Any]) -> Record | None:
        keys = unique_keys(model, where)
        created = self.changes.created(model, keys.get("id", ""))
        if created is not None:
            return created
        return visible(self.context, model, find_unique(self.store, model, keys))

    def need(self, model: Model, where: dict[str, Any], purpose: str) -> Record:
        found = self.find(model, where)
        if found is None:
            keys = ", ".join(f"{k} {v!r}" for k, v in where.items() if v is not None)
            raise not_found(model.name, keys, purpose)
        return found

    # Creating.

    def create(self, model: Model, data: dict[str, Any]) -> Record:
        """Plan a new record of `model` from create input; returns it as it will be stored."""
        authorize(self.context, model, Action.CREATE)
        check_managed(self.context, model, data)
        data = self._before(model, CREATE, data, None)
        data = self._files(model, self._owned(model, data), None)
        record = new_record(model, data, self.now)
        self.wrote(model, CREATE, record, None)
        self.changes.put(model, record)
        for any_field in model.relations():
            if data.get(any_field.name) is None:
                continue
            for field, nested in self._per_type(model, any_field, data[any_field.name]):
                for child in _as_list(nested.get("create")):
                    self.attach(model, record, field, self.create(self.registry.model(field.type_name), child))
                for where in _as_list(nested.get("connect")):
                    self.attach(model, record, field, self._connectable(model, field, where))
        authorize(self.context, model, Action.CREATE, record)
        self._no_impersonation(model, record, Action.CREATE)
        return record

    def _owned(self, model: Model, data: dict[str, Any]) -> dict[str, Any]:
        """A caller who may create only records it owns gets its own records: the owner is filled in."""
        owner = model.access.owner_field
        if owner is None or owner == "id" or data.get(owner) is not None or self.context.user_id is None:
            return data
        if self.context.is_admin:
            return data
        return {**data, owner: {"connect": {"id": self.context.user_id}}}

    # The team's steps (chalicelib/hooks): `before` as each record is planned, `after` once committed.

    def _before(self, model: Model, action: str, data: dict[str, Any], record: Record | None) -> dict[str, Any]:
        hooks = self.context.hooks
        return data if hooks is None else hooks.run_before(self.context.caller, model, action, data, record)

    def wrote(self, model: Model, action: str, record: Record, previous: Record | None) -> None:
        """Note a record written, for its `after` steps (`committed`)."""
        hooks = self.context.hooks
        if hooks is not None and hooks.has_after(model, action):
            self._written.append((model, action, record, previous))

    def committed(self) -> None:
        """Settle the files and run the `after` steps of the records written: call once the plan's
        transaction has committed, and only then (a plan that conflicted is dropped, and its steps
        with it)."""
        works, self.changes.objects = list(self.changes.objects.values()), {}
        if works and self.context.files is not None:
            self.context.files.settle(works)
        written, self._written = self._written, []
        if written and self.context.hooks is not None:
            self.context.hooks.run_after(self.context.caller, written)

    # File fields (chalicelib/files).

    def _files(self, model: Model, data: dict[str, Any], record: Record | None) -> dict[str, Any]:
        """`data` with each file input as the file the record will hold: its token and upload
        checked, the token spent in the plan's transaction, which also records the upload's move
        to the file's key and the deletion of a file it replaces or clears (done once committed)."""
        fields = [f for f in model.file_fields() if f.name in data]
        if not fields:
            return data
        data = dict(data)
        for field in fields:
            if data[field.name] is not None:
                # A schema with File fields serves them (service.py): the request has its files.
                assert self.context.files is not None
                attached = self.context.files.attach(self.context, model, field, data[field.name])
                if attached.spent in self.changes.spend:
                    # Two records holding one object: deleting either would take the other's file.
                    message = "this upload token is named twice in the mutation; it attaches one file"
                    raise ApiError(INVALID_TOKEN, f"{model.name}.{field.name}: {message}")
                self.changes.spend[attached.spent] = attached.upload.expires
                self._settle(attached.work)
                data[field.name] = attached.stored
            previous = record.get(field.name) if record is not None else None
            if previous is not None:
                self._settle(ObjectWork(previous["key"]))
        return data

    def _settle(self, work: ObjectWork) -> None:
        self.changes.objects[work.key] = work

    # Updating.

    def update(self, model: Model, record: Record, data: dict[str, Any]) -> Record:
        """Plan changes to `record` (as read) from update input; returns it as it will be stored."""
        authorize(self.context, model, Action.UPDATE, record)
        check_managed(self.context, model, data)
        data = self._files(model, self._before(model, UPDATE, data, record), record)
        self._authorized.add((model.name, record["id"]))
        update = self.changes.update(model, record["id"])
        update.version = record.get(VERSION) or 0
        update.current = record
        new = dict(record)
        for name, value in data.items():
            field = model.fields[name]
            if field.is_relation:
                if value is not None:
                    self._nested(model, record, new, field, value)
            elif field.is_list:
                new[name] = _list_change(update, field, record.get(name), value)
            else:
                new[name] = _scalar_change(model, update, field, record.get(name), value)
        readdress(model, record, new, data, update)
        _touch(model, update, new, data, self.now)
        if model.access.owner_field in data:
            self._no_impersonation(model, new, Action.UPDATE)
        self.wrote(model, UPDATE, new, record)
        return new

    def update_unread(self, model: Model, record_id: str, data: dict[str, Any], record: Record | None = None) -> Update:
        """Plan an update that needs no read (see `simple_update`); `record`, when the caller has it,
        is authorized now, else `finish` authorizes the record. Its `before` steps run here (none
        of them uses the stored record); `NeedsRead` when the input they leave needs a read after all."""
        authorize(self.context, model, Action.UPDATE, record)
        check_managed(self.context, model, data)
        data = self._before(model, UPDATE, data, record)
        if not simple_update(model, data):
            raise NeedsRead()
        if record is not None:
            self._authorized.add((model.name, record_id))
        update = plan_simple_update(model, record_id, data, self.now)
        if record is not None and needs_current(update):
            update.current, update.version = record, record.get(VERSION) or 0
        self.changes.updates[(model.name, record_id)] = update
        return update

    def _no_impersonation(self, model: Model, record: Record, action: Action) -> None:
        """Only system-admin creates a record owned by another user, or gives one to another user:
        the owner field is an identity, and a record owned by someone is theirs."""
        owner = model.access.owner_field
        if owner is None or owner == "id" or self.context.is_admin:
            return
        if record.get(owner) not in (None, self.context.user_id):
            raise permission_denied(action.value, f"{model.name} owned by another user")

    def _nested(self, model: Model, record: Record, new: Record, any_field: Field, any_ops: dict[str, Any]) -> None:
        for field, ops in self._per_type(model, any_field, any_ops):
            target = self.registry.model(field.type_name)
            if field.is_list:
                self._nested_many(model, record, new, field, target, ops)
            else:
                self._nested_one(model, record, new, field, target, ops)

    def _per_type(self, model: Model, field: Field, ops: dict[str, Any]) -> list[tuple[Field, dict[str, Any]]]:
        """The nested operations of a relation, each with the field as a relation to one model. An
        interface or union relation takes them per model of the set (`posts: {...}`): each is
        planned as a relation to that model alone, stored where the field's links are."""
        if not self.registry.polymorphic(field):
            return [(field, ops)]
        per_type = [
            (self.registry.narrowed(field, target), ops[target.list_field])
            for target in self.registry.targets(field)
            if ops.get(target.list_field) is not None
        ]
        if not field.is_list and len(per_type) > 1:
            raise ApiError(
                INVALID_INPUT, f"{model.name}.{field.name}: links one record; give the operations of one type only"
            )
        return per_type

    def _nested_many(
        self, model: Model, record: Record, new: Record, field: Field, target: Model, ops: dict[str, Any]
    ) -> None:
        for child in _as_list(ops.get("create")):
            self.attach(model, new, field, self.create(target, child))
        for where in _as_list(ops.get("connect")):
            self.attach(model, new, field, self._connectable(model, field, where))
        for where in _as_list(ops.get("disconnect")):
            self._detach(model, new, field, self._child(model, record, field, where, "disconnect"))
        for where in _as_list(ops.get("delete")):
            self.delete(target, self._child(model, record, field, where, "delete"))
        for change in _as_list(ops.get("update")):
            child = self._child(model, record, field, change["where"], "update")
            self.update(target, child, change["data"])
        for change in _as_list(ops.get("upsert")):
            found = self.find(target, change["where"])
            if found is None:
                self.attach(model, new, field, self.create(target, change["create"]))
            else:
                self.update(target, self._child(model, record, field, change["where"], "upsert"), change["update"])

    def _nested_one(
        self, model: Model, record: Record, new: Record, field: Field, target: Model, ops: dict[str, Any]
    ) -> None:
        current = self._current(target, record, field)
        if ops.get("create") is not None:
            self.attach(model, new, field, self.create(target, ops["create"]), replaced=current)
        if ops.get("connect") is not None:
            self.attach(model, new, field, self._connectable(model, field, ops["connect"]), replaced=current)
        if ops.get("disconnect") and current is not None:
            self._detach(model, new, field, current)
        if ops.get("delete"):
            self.delete(target, self._linked(model, field, current, "delete"))
        if ops.get("update") is not None:
            self.update(target, self._linked(model, field, current, "update"), ops["update"])
        if ops.get("upsert") is not None:
            if current is None:
                self.attach(model, new, field, self.create(target, ops["upsert"]["create"]))
            else:
                self.update(target, current, ops["upsert"]["update"])

    def _current(self, target: Model, record: Record, field: Field) -> Record | None:
        linked = record.get(field.name)
        # Through an interface or union the pointer may name a record of another model of the set.
        return None if linked is None or not ids.is_id_of(linked, target.name) else self.store.get(target, linked)

    def _linked(self, model: Model, field: Field, current: Record | None, purpose: str) -> Record:
        if current is None:
            raise ApiError(INVALID_INPUT, f"{model.name}.{field.name}: nothing is linked to {purpose}")
        return current

    def _child(self, model: Model, record: Record, field: Field, where: dict[str, Any], purpose: str) -> Record:
        """A record related to `record` through `field`, found by `where`; others are out of reach."""
        target = self.registry.model(field.type_name)
        child = self.need(target, where, purpose)
        if not self._related(record, field, child):
            raise ApiError(
                INVALID_INPUT,
                f"{model.name}.{field.name}: the {target.name} to {purpose} is not related to this {model.name}",
            )
        return child

    def _related(self, record: Record, field: Field, other: Record) -> bool:
        """Whether `other` is linked to `record` through the to-many `field`: by its pointer back
        (which its write then expects unchanged, by its version), or by an edge (one GetItem)."""
        assert field.relation is not None
        if field.storage is Storage.CHILDREN:
            assert field.relation.inverse is not None
            return bool(other.get(field.relation.inverse) == record["id"])
        planned = self.changes.edges.get(Edge(field, record["id"], other["id"]).key)
        if planned is not None:
            return planned[1]
        return self.store.linked(field, record["id"], other["id"])

    def _connectable(self, model: Model, field: Field, where: dict[str, Any]) -> Record:
        """The record to connect, which the caller must be allowed to update. By id, with no to-one
        inverse to move, and where the caller may read and update any record of its model, it is not
        even read: the write itself requires it to exist."""
        assert field.relation is not None
        target = self.registry.model(field.type_name)
        keys = unique_keys(target, where)
        # Linking a record to the caller's own user as its owner is the owner rule at work (see
        # `_owned`), not a change the caller makes to its user record.
        owner_link = field.name == model.access.owner_field and keys == {"id": self.context.user_id}
        if owner_link:
            self._authorized.add((target.name, keys["id"]))
        else:
            authorize(self.context, target, Action.UPDATE)
        inverse = target.fields[field.relation.inverse] if field.relation.inverse else None
        blind = (
            set(keys) == {"id"}
            and (inverse is None or inverse.is_list)
            and unrestricted(self.context, target, Action.UPDATE)
            and unrestricted(self.context, target, Action.READ)
        )
        if blind and self.changes.created(target, keys["id"]) is None:
            if ids.model_of(keys["id"]) != target.name:
                raise not_found(target.name, f"id {keys['id']!r}", "connect")
            self.changes.check_exists(target, keys["id"])
            return {"id": keys["id"]}
        other = self.need(target, keys, f"connect to {model.name}.{field.name}")
        if self.changes.created(target, other["id"]) is None and not owner_link:
            authorize(self.context, target, Action.UPDATE, other)
            self._authorized.add((target.name, other["id"]))
        return other

    def holds(self, model: Model, record: Record, where: dict[str, Any] | None, page_cap: int) -> bool:
        """Whether `record` (as read) matches `where`, relation filters included, as the caller sees
        it; when it does, the plan's write holds only if every record looked at is unchanged."""
        # A loader of its own: each attempt must see the records as they are now, not as cached.
        loader = self.context.loader.fresh()
        if not Reader(self.registry, self.store, loader, page_cap).matching(model, where, [record]):
            return False
        self.changes.check(model, record)
        for path in relation_paths(model, where, self.registry):
            level = [record]
            for field in path:
                level = [r for parent in level for r in loader.related(field, parent)]
                for related in level:
                    target = linked_model(self.registry, field, related["id"])
                    if target is not None:
                        self.changes.check(target, related)
        return True

    # Authorizing what the plan touches.

    def finish(self) -> Changes:
        """The plan's changes, once every record they update is authorized as an update of that record.

        Records updated only as the other side of a relation (unlinked, moved, connected blind), or
        whose relation changes with no write of their own (`_touched`), were not read; where
        ownership decides, they are read now (a batch per model), and the write holds only if their
        owner is still the one judged (the record not written: if it is unchanged).
        """
        pending: dict[str, dict[str, Update | None]] = {}
        touched = {key: None for key in self._touched if key not in self.changes.updates}
        for key, update in {**self.changes.updates, **touched}.items():
            model = self._touched[key] if update is None else update.model
            if key in self._authorized or self.changes.deleted(model, key[1]):
                continue
            if unrestricted(self.context, model, Action.UPDATE):
                continue
            if not allowed(self.context, model, Action.UPDATE):
                raise permission_denied(Action.UPDATE.value, model.name)
            pending.setdefault(model.name, {})[key[1]] = update
        for name, updates in pending.items():
            model = self.registry.model(name)
            found = self.store.batch_get(model, list(updates))
            for record_id, update in updates.items():
                record = found.get(record_id)
                if record is None:
                    continue  # gone: an update's own condition (it must exist) fails it
                if not owns(model, record, self.context.user_id or ""):
                    raise permission_denied(Action.UPDATE.value, model.name)
                owner = model.access.owner_field
                if update is None:
                    self.changes.check(model, record)
                elif owner is not None and owner != "id":
                    update.expect.setdefault(owner, record.get(owner))
        self._read_for_indexes()
        return self.changes

    def _read_for_indexes(self) -> None:
        """Read, a batch per model, the records whose update sets part of an ordered index's fields
        without having read them (see `needs_current`); each write then holds their version."""
        unread: dict[str, list[Update]] = {}
        for update in self.changes.updates.values():
            if update.current is None and needs_current(update):
                unread.setdefault(update.model.name, []).append(update)
        for name, updates in unread.items():
            found = self.store.batch_get(self.registry.model(name), [u.record_id for u in updates])
            for update in updates:
                # A record gone is no update: its write's condition (it must exist) fails it.
                record = found.get(update.record_id, {"id": update.record_id})
                update.current = record
                if update.version is None:
                    update.version = record.get(VERSION) or 0

    # Deleting.

    def delete(self, model: Model, record: Record) -> None:
        """Plan the deletion of `record` (as read), unlinking every record related to it.

        A to-one partner lets go in the same transaction. Children pointing at the record, and its
        edges, stay stored until the cleanup job removes them (reads skip links to a missing
        record), so a delete costs the same whatever the number of its links; those other ends are
        still authorized as updates, when the caller's right to update them depends on the record.
        """
        authorize(self.context, model, Action.DELETE, record)
        if self.changes.deleted(model, record["id"]):
            return
        self._before(model, DELETE, {}, record)
        self.changes.remove(model, record)
        for file_field in model.file_fields():
            if record.get(file_field.name) is not None:
                self._settle(ObjectWork(record[file_field.name]["key"]))
        self.wrote(model, DELETE, record, None)
        for field in model.relations():
            if field.relation is None or field.relation.inverse is None:
                continue
            target = self.registry.model(field.type_name)
            inverse = target.fields[field.relation.inverse]
            if field.storage is Storage.POINTER:
                other_id = record.get(field.name)
                if other_id is not None and not self.changes.deleted(target, other_id):
                    self._let_go(target, other_id, inverse, record["id"])
            else:
                self._left_linked(record, field, target)

    def _left_linked(self, record: Record, field: Field, target: Model) -> None:
        """Authorize, as updates, the records a deletion leaves linked to `record` through the
        to-many `field`: without reading them where the caller may update any record of theirs,
        else read (up to `MAX_CHECKED` of them) and judged one by one."""
        if unrestricted(self.context, target, Action.UPDATE):
            return
        page = next(self.store.related_pages(field, record["id"], None, MAX_CHECKED + 1))
        others = page.records
        if page.scanned > MAX_CHECKED or page.last_key is not None:
            # Links past one read (counted as stored, deleted records' included) are not judged.
            raise ApiError(
                INVALID_INPUT,
                f"{record['id']}: more than {MAX_CHECKED} {target.plural} may be linked through {field.name}; "
                "only a role that may update every one of them can delete it",
            )
        if not others:
            return
        if not allowed(self.context, target, Action.UPDATE):
            raise permission_denied(Action.UPDATE.value, target.name)
        for other in others:
            if not self.changes.deleted(target, other["id"]):
                # Judged as read: the delete does not hold the record unchanged, since a transaction
                # could not hold as many as a deletion may leave linked.
                authorize(self.context, target, Action.UPDATE, other)

    # Both sides of a relation.

    def attach(
        self, model: Model, record: Record, field: Field, other: Record, *, replaced: Record | None = None
    ) -> None:
        """Relate `record` (new or being updated) to `other` through `field`, and `other` back."""
        assert field.relation is not None
        if replaced is not None and replaced["id"] != other["id"]:
            self._detach(model, record, field, replaced)
        self._point(model, record, field, other["id"])
        inverse_name = field.relation.inverse
        if inverse_name is None:
            return
        target = self.registry.model(field.type_name)
        created = self.changes.created(target, other["id"])
        if target.fields[inverse_name].storage is not Storage.POINTER:
            # The link is `record`'s own pointer, or the edge: `other`'s item holds nothing, so the
            # write holds only if `other` still exists, or a delete just before would leave a link
            # its cleanup may have looked for already.
            if created is None:
                self.changes.check_exists(target, other["id"])
            return
        if created is not None:
            created[inverse_name] = record["id"]
            return
        previous = other.get(inverse_name)
        if previous == record["id"]:
            return
        update = self.changes.update(target, other["id"])
        update.assign[inverse_name] = record["id"]
        update.expect[inverse_name] = previous
        if previous is not None:
            # `other` was related to another record of `model`: that one lets go of it.
            self._let_go(model, previous, field, other["id"])

    def _detach(self, model: Model, record: Record, field: Field, other: Record) -> None:
        assert field.relation is not None
        self._unpoint(model, record, field, other["id"])
        if field.relation.inverse is not None:
            target = self.registry.model(field.type_name)
            self._let_go(target, other["id"], target.fields[field.relation.inverse], record["id"])

    def _point(self, model: Model, record: Record, field: Field, other_id: str) -> None:
        """Set `record`'s side: an edge, or its pointer, in the new record itself or as an update of
        the existing one. A list of children is the children's pointers: nothing to set here."""
        if field.storage is Storage.EDGES:
            self.changes.link(Edge(field, record["id"], other_id))
        elif field.storage is Storage.POINTER:
            record[field.name] = other_id
            if self.changes.created(model, record["id"]) is None:
                self.changes.update(model, record["id"]).assign[field.name] = other_id

    def _unpoint(self, model: Model, record: Record, field: Field, other_id: str) -> None:
        if field.storage is Storage.EDGES:
            self.changes.unlink(Edge(field, record["id"], other_id))
        elif field.storage is Storage.POINTER:
            record[field.name] = None
            self.changes.update(model, record["id"]).assign[field.name] = None

    def _let_go(self, model: Model, record_id: str, field: Field, other_id: str) -> None:
        """`record_id` stops pointing at `other_id` through `field`, if it still does. A to-many
        stores nothing in the record (the other side's pointer or the edge is the link), but the
        record's relation changes all the same: it is authorized as an update of the record."""
        if field.storage is not Storage.POINTER:
            self._touched.setdefault((model.name, record_id), model)
            return
        update = self.changes.update(model, record_id)
        if update.assign.get(field.name, other_id) == other_id:
            update.assign[field.name] = None
            update.expect[field.name] = other_id


def new_record(model: Model, data: dict[str, Any], clock: Callable[[], str]) -> Record:
    """A new record's scalars from create input: server id, `@default`s, timestamps (the time
    `clock` tells), hashed passwords."""
    now = clock()
    record: Record = {"id": ids.new_id(model.name)}
    for field in model.scalars():
        if field.is_id:
            continue
        if field.name in data and field.writable:
            value = data[field.name]
        elif field.timestamp is not None:
            value = now
        elif field.has_default:
            value = field.default
        else:
            continue
        if field.type_name == "Password" and value is not None:
            value = hash_password(value)
        check_number(model, field, value)
        record[field.name] = value
    return record


def simple_update(model: Model, data: dict[str, Any]) -> bool:
    """Whether an update needs no read: scalars that are not unique, files (the one replaced is
    removed) nor counted (in an ordered index's `fields`), and lists only set or appended."""
    counted = model.counted_fields
    for name, value in data.items():
        field = model.fields[name]
        if field.is_relation or field.unique or field.is_file or name in counted:
            return False
        if field.is_list and value is not None and value.get("pull"):
            return False
    return True


def plan_simple_update(model: Model, record_id: str, data: dict[str, Any], clock: Callable[[], str]) -> Update:
    """The one UpdateItem of a simple update (see `simple_update`), with no read before it."""
    update = Update(model, record_id)
    for name, value in data.items():
        field = model.fields[name]
        if field.is_list:
            _list_change(update, field, None, value)
        else:
            _scalar_change(model, update, field, None, value)
    _touch(model, update, {}, data, clock)
    return update


def _list_change(update: Update, field: Field, current: list[Any] | None, change: dict[str, Any] | None) -> Any:
    """`set` replaces, `pull` removes every occurrence, `push` appends (after the pull)."""
    if change is None:
        update.assign[field.name] = None
        return None
    base = change["set"] if change.get("set") is not None else current
    pull = change.get("pull") or []
    push = change.get("push") or []
    for values in (change.get("set"), push):
        if values and field.type_name == "Float":
            check_number(update.model, field, values)
    if change.get("set") is None and not pull:
        if push:
            update.push[field.name] = push
        return [*(current or []), *push]
    result = [item for item in base or [] if item not in pull] + push
    update.assign[field.name] = result
    return result


def check_number(model: Model, field: Field, value: Any) -> None:
    """Numbers DynamoDB does not store (`storable_number`) are refused here, as bad input, rather
    than by DynamoDB."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, float) and not storable_number(item):
            raise ApiError(INVALID_INPUT, f"{model.name}.{field.name}: {item!r} is outside the range DynamoDB stores")


def _scalar_change(model: Model, update: Update, field: Field, current: Any, value: Any) -> Any:
    check_number(model, field, value)
    if value is None and field.required:
        raise ApiError(INVALID_INPUT, f"{model.name}.{field.name} is required and cannot be set to null")
    if field.type_name == "Password" and value is not None:
        value = hash_password(value)
    update.assign[field.name] = value
    if field.unique and value != current:
        if current is not None:
            update.release[field.name] = current
        if value is not None:
            update.claim[field.name] = value
    return value


def _touch(model: Model, update: Update, new: Record, data: dict[str, Any], clock: Callable[[], str]) -> None:
    touched = [f for f in model.scalars() if f.timestamp is not None and f.timestamp.on_update and f.name not in data]
    if not touched:
        return  # no clock read: a bulk update of a model without timestamps pays nothing here
    now = clock()
    for field in touched:
        update.assign[field.name] = now
        new[field.name] = now


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
