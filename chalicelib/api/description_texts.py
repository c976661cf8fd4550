"""What the generated API's types, fields and arguments say in the docs (GraphiQL's pane, code
generators), by the kind of generated type they belong to. `{model}` is the model's name, `{field}`
the field's, `{list}` the model's list query."""

from __future__ import annotations

TYPES = {
    "connection": "A page of {model} records: its edges, where it lies among all matches, and their count.",
    "edge": "One {model} of a page, with its cursor.",
    "aggregate": "Figures over every {model} that matches, before skip and slicing.",
    "payload": "The result of a write of one {model}.",
    "where_unique": "One {model}, by unique fields: every given key must match the same record.",
    "exists": "Per field of {model}: true, the value is set (not null; for lists and to-many, not empty); "
    "false, it is not.",
    "match": "Per field of {model}: any of the given values, exactly (a list field: contains any); null matches null.",
    "range": "Per field of {model}: [min, max], inclusive, null for an open end; null values never match.",
    "order_by": "Sort keys of {model}, applied in the order written; nulls sort last both ways.",
    "create_input": "The fields of a new {model}: an omitted field takes its @default, else null.",
    "update_input": "The fields of a {model} to change: an omitted field keeps its value.",
    "create_data": "A new {model}, linked to the record written around it (the field pointing back is implied).",
    "update_data": "Changes to a related {model} (the field pointing back is implied).",
    "create_mutation": "The input of create{model}.",
    "update_mutation": "The input of update{model}.",
    "upsert_mutation": "The input of upsert{model}.",
    "delete_mutation": "The input of delete{model}.",
    "update_many_mutation": "The input of updateMany over {model} records.",
    "delete_many_mutation": "The input of deleteMany over {model} records.",
    "create_nested": "Related {model} records for a new record: create new ones or connect existing ones.",
    "update_nested": "Changes to the related {model} records: create, connect, disconnect, delete, update, upsert.",
    "update_with_where": "One related {model} to change, found among the parent's own.",
    "upsert_with_where": "One related {model} to change, found among the parent's own, or to create when none is.",
    "upsert_nested": "Changes to the related {model}, or a new one when none is linked.",
    "per_type": "Related records of {model}, written per model: each key takes that model's own nested input.",
    "subscription_payload": "A committed change to a {model}: its kind, the record, what changed and what it was.",
    "previous": "A {model} as it was before the change: its scalars, and each to-one as `<field>_id`.",
    "union": "A record of any of the models {members}.",
    "interface": "A record of any of the models implementing {model}: {members}.",
    "model": "A {model} record, as declared in the schema.",
}

FIELDS: dict[str, dict[str, str]] = {
    "connection": {
        "edges": "The page's records, each with its cursor.",
        "pageInfo": "Whether more records come before or after this page, and its cursors.",
        "aggregate": "Figures over every match, before skip and slicing.",
    },
    "edge": {
        "node": "The record.",
        "cursor": "An opaque cursor: give it as `after` or `before` to page on from this record.",
    },
    "aggregate": {"count": "How many records match, counted before skip and slicing."},
    "payload": {
        "data": "The record as written (for a delete, as it was); null when `conditions` did not hold.",
        "clientMutationId": "The input's clientMutationId, as given.",
        "unalteredData": "When `conditions` did not hold: the stored record, which nothing changed.",
    },
    "where": {
        "exists": "Fields that must be set (true) or unset (false).",
        "match": "Exact values, per field: any of those given.",
        "range": "Inclusive ranges, per field.",
        "and": "Every one of these filters holds.",
        "or": "At least one of these filters holds.",
        "not": "This filter does not hold.",
    },
    "where_unique": {"": "The {model} whose `{field}` is this value."},
    "exists": {"": "true: `{field}` is set; false: it is null (or empty)."},
    "match": {"": "`{field}` is any of these values."},
    "range": {"": "`{field}` lies in [min, max], inclusive; null for an open end."},
    "order_by": {"": "Sort by `{field}`, ascending or descending."},
    "mutation": {
        "clientMutationId": "Any string, returned as is in the payload (to match answers to requests).",
        "conditions": "Must hold on the stored record, checked atomically with the write: when they do not, "
        "nothing is written, `data` is null and `unalteredData` is the record.",
        "cursor": "Where an earlier call stopped (its payload's `cursor`), to go on from there.",
    },
    "create_mutation": {"data": "The new record's fields, nested relation writes included."},
    "update_mutation": {"data": "The fields to change.", "where": "Which record."},
    "upsert_mutation": {
        "where": "Which record.",
        "create": "The record to create when none matches `where`.",
        "update": "The changes to make when one does.",
    },
    "delete_mutation": {"where": "Which record."},
    "update_many_mutation": {
        "data": "The fields to change on every match.",
        "where": "Which records: the full filter grammar, each checked again at its write.",
    },
    "delete_many_mutation": {"where": "Which records: the full filter grammar, each checked again at its delete."},
    "create_nested": {
        "create": "New {model} records to create and link.",
        "connect": "Existing {model} records to link, by unique fields.",
    },
    "update_nested_many": {
        "create": "New {model} records to create and link.",
        "connect": "Existing {model} records to link, by unique fields.",
        "disconnect": "Linked {model} records to unlink (the parent's own only).",
        "delete": "Linked {model} records to delete (the parent's own only).",
        "update": "Linked {model} records to change, each found among the parent's own.",
        "upsert": "Linked {model} records to change, or to create when none matches.",
    },
    "update_nested_one": {
        "create": "A new {model} to create and link in place of the current one.",
        "connect": "An existing {model} to link, by unique fields.",
        "disconnect": "true: unlink the related {model}.",
        "delete": "true: delete the related {model} (an error when none is linked).",
        "update": "Changes to the related {model} (an error when none is linked).",
        "upsert": "Changes to the related {model}, or a new one when none is linked.",
    },
    "update_with_where": {"where": "Which related {model}.", "data": "The changes."},
    "upsert_with_where": {
        "where": "Which related {model}.",
        "update": "The changes when it is linked.",
        "create": "The {model} to create and link when it is not.",
    },
    "upsert_nested": {"update": "The changes when one is linked.", "create": "The {model} to create when none is."},
    "scalar_list": {
        "set": "Replaces the list.",
        "push": "Appended to the list (duplicates kept).",
        "pull": "Removed from the list, every occurrence.",
    },
    "subscription_where": {
        "mutation_in": "The kinds of change to receive (every kind when omitted).",
        "updatedFields_contains": "UPDATED only: any of these fields changed.",
        "updatedFields_contains_every": "UPDATED only: every one of these fields changed.",
        "node": "The record matches this filter (for DELETED, the record as it was).",
        "AND": "Every one of these holds.",
        "OR": "At least one of these holds.",
    },
    "subscription_payload": {
        "mutation": "What happened to the record: CREATED, UPDATED or DELETED.",
        "node": "The record after the change; null for DELETED.",
        "updatedFields": "UPDATED only: the fields whose values changed.",
        "previousValues": "The record before the change; null for CREATED (and where the subscriber could not "
        "read it before).",
    },
    "previous": {"id": "The record's global id.", "": "`{field}` before the change."},
    "model": {"id": "The record's global id: it names the model, so `node(id:)` finds the record."},
}

# Arguments by name; `where` by what it takes.
ARGUMENTS = {
    "where_unique": "Which record: unique fields, every given key matching the same record.",
    "where": "Only the records that match: the full filter grammar, relation filters included.",
    "subscription_where": "Which changes to receive (every change of a readable record when omitted).",
    "orderBy": "Sort keys, in the order written; without them the order is still stable.",
    "first": "At most this many records, from the start (after skip and cursors).",
    "last": "At most this many records, from the end (after first).",
    "skip": "Leave out this many matches first.",
    "before": "Only records before this cursor.",
    "after": "Only records after this cursor.",
    "input": "What to write, and how.",
    "match": "Only the records whose `{field}` is any of these values (as `where: {{match: ...}}`).",
    "unique": "The record whose `{field}` is this value.",
}

ROOTS = {
    "Query": "Reads: each model's records one at a time, as lists and as connections; any record by id.",
    "Mutation": "Writes: each mutation commits as one transaction, nested writes included, or not at all.",
    "Subscription": "Live changes to each model's records, as they are committed (graphql-transport-ws).",
}

ROOT_FIELDS = {
    "single": "One {model}, by unique fields (`where`, or a field's own argument).",
    "list": "{model} records: filter with `where` or a field's values, sort with `orderBy`, page with skip, "
    "cursors, first and last.",
    "connection": "As `{list}`, as a connection: edges with cursors, page info, and the count of every match.",
    "create": "Creates a {model}, nested relation writes included.",
    "update": "Changes the {model} `where` finds, if `conditions` hold.",
    "upsert": "Changes the {model} `where` finds, or creates one when none is.",
    "delete": "Deletes the {model} `where` finds, if `conditions` hold.",
    "update_many": "Changes every {model} that matches, a bounded number per call: while the answer's `complete` "
    "is false, call again with its `cursor`.",
    "delete_many": "Deletes every {model} that matches, a bounded number per call: while the answer's `complete` "
    "is false, call again with its `cursor`.",
    "subscription": "Each committed change to a {model} the caller may read: created, updated, deleted.",
}

# The API's fixed parts, whatever the schema: (type, field or value or "") -> description.
COMMON = {
    ("Query", "node"): "Any record, by its global id.",
    ("Query", "exportData"): "Every record of the given models (all when omitted), as raw JSON with `__typename`.",
    ("Query", "node", "id"): "A global id, as a record's `id` gives it.",
    ("Query", "exportData", "types"): "Model names; every model when omitted.",
    ("Mutation", "importData"): "Writes records given as raw JSON (exportData's format), in one transaction.",
    ("Mutation", "importData", "data"): "The records, each with `__typename` (or `defaultTypename`).",
    ("Mutation", "importData", "merge"): "false: every object is a new record with a new id; true: an object whose "
    "id exists updates that record.",
    ("Mutation", "importData", "defaultTypename"): "The model of objects without `__typename`.",
    ("Mutation", "importData", "conditions"): "With merge: ids whose update happens only if the stored record matches.",
    ("Node", ""): "A record of any model, found by its global id.",
    ("Node", "id"): "The record's global id: it names the model.",
    ("PageInfo", ""): "Where a page lies among all matches.",
    ("PageInfo", "hasNextPage"): "Whether records follow this page (also when the page cap cut it short).",
    ("PageInfo", "hasPreviousPage"): "Whether records precede this page.",
    ("PageInfo", "startCursor"): "The cursor of the page's first record.",
    ("PageInfo", "endCursor"): "The cursor of the page's last record.",
    ("BatchPayload", "count"): "How many records this call changed.",
    ("BatchPayload", "clientMutationId"): "The input's clientMutationId, as given.",
    ("BatchPayload", "complete"): "Whether every match has been handled.",
    ("BatchPayload", "cursor"): "Where to go on from when `complete` is false.",
    ("ImportDataPayload", ""): "The result of importData.",
    ("ImportDataPayload", "data"): "The records written, as raw JSON.",
    ("ImportDataPayload", "unalteredData"): "The records whose conditions did not hold, unchanged.",
    ("ImportDataPayload", "missingData"): "Referenced ids that exist nowhere (left out).",
    ("ConditionsInput", ""): "A guard on importData's merge of some ids.",
    ("ConditionsInput", "id"): "The ids this guard applies to.",
    ("ConditionsInput", "conditions"): "A where-clause of the record's model, as JSON, that the stored record must "
    "match.",
    ("SortOrder", "ASC"): "Smallest first (false before true); nulls last.",
    ("SortOrder", "ASCENDING"): "As ASC.",
    ("SortOrder", "DESC"): "Largest first; nulls last.",
    ("SortOrder", "DESCENDING"): "As DESC.",
    ("MutationType", ""): "The kind of a change to a record.",
    ("MutationType", "CREATED"): "The record was created.",
    ("MutationType", "UPDATED"): "The record's fields changed.",
    ("MutationType", "DELETED"): "The record was deleted.",
    ("Role", ""): "A role, Gadget's way: permissions name it by key.",
    ("Role", "key"): "The key permissions name the role by.",
    ("Role", "name"): "The role's display name.",
    ("Date", ""): "A calendar date, YYYY-MM-DD.",
    ("Time", ""): "A time of day with a zone (HH:MM:SS and Z or an offset), kept in UTC to the millisecond.",
    ("DateTime", ""): "An ISO-8601 date and time with a zone, kept in UTC to the millisecond.",
    ("JSON", ""): "Any JSON value.",
    ("Email", ""): "An email address, checked on the way in.",
    ("Password", ""): "A password (8 to 256 characters): write-only, stored as an Argon2id hash.",
    ("RecordState", ""): "Gadget's record state, as JSON.",
}
