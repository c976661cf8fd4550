"""The names Genie generates for a model: root fields, input and payload types."""

from __future__ import annotations

from chalicelib.schema.registry import Field, Model, upper_first


class SubscriptionNames:
    """The names of one model's subscription: its root field (the singular query's name), where
    input, payload and previous values."""

    def __init__(self, model: Model) -> None:
        self.field = model.single_field
        self.where = f"{model.name}SubscriptionWhereInput"
        self.payload = f"{model.name}SubscriptionPayload"
        self.previous = f"{model.name}PreviousValues"


class Names:
    """Every generated name of one model, so the SDL and the resolvers agree on them."""

    def __init__(self, model: Model) -> None:
        self.model = model
        t = model.name
        p = upper_first(model.plural)
        self.type = t
        self.single = model.single_field
        self.list = model.list_field
        self.connection_field = f"{model.list_field}Connection"
        self.create = f"create{t}"
        self.update = f"update{t}"
        self.upsert = f"upsert{t}"
        self.delete = f"delete{t}"
        self.update_many = f"updateMany{p}"
        self.delete_many = f"deleteMany{p}"
        self.connection = f"{t}Connection"
        self.edge = f"{t}Edge"
        self.aggregate = f"{t}Aggregate"
        self.payload = f"{t}Payload"
        self.where = f"{t}WhereInput"
        self.where_unique = f"{t}WhereUniqueInput"
        self.exists = f"{t}ExistsInput"
        self.match = f"{t}MatchInput"
        self.range = f"{t}RangeInput"
        self.order_by = f"{t}OrderByInput"
        self.create_input = f"{t}CreateInput"
        self.update_input = f"{t}UpdateInput"
        self.create_mutation_input = f"Create{t}MutationInput"
        self.update_mutation_input = f"Update{t}MutationInput"
        self.upsert_mutation_input = f"Upsert{t}MutationInput"
        self.delete_mutation_input = f"Delete{t}MutationInput"
        self.update_many_mutation_input = f"UpdateMany{p}MutationInput"
        self.delete_many_mutation_input = f"DeleteMany{p}MutationInput"

    def root_fields(self) -> list[str]:
        return [
            self.single,
            self.list,
            self.connection_field,
            self.create,
            self.update,
            self.upsert,
            self.delete,
            self.update_many,
            self.delete_many,
        ]

    def type_names(self) -> list[str]:
        return [
            self.connection,
            self.edge,
            self.aggregate,
            self.payload,
            self.where,
            self.where_unique,
            self.exists,
            self.match,
            self.range,
            self.order_by,
            self.create_input,
            self.update_input,
            self.create_mutation_input,
            self.update_mutation_input,
            self.upsert_mutation_input,
            self.delete_mutation_input,
            self.update_many_mutation_input,
            self.delete_many_mutation_input,
        ]


def without(inverse: str | None) -> str:
    """Genie's suffix for nested inputs that omit the field pointing back: `WithoutAddress`."""
    return f"Without{upper_first(inverse)}" if inverse else ""


class RelationNames:
    """Names of the nested-write inputs of one relation field, seen from its target model."""

    def __init__(self, field: Field) -> None:
        assert field.relation is not None
        t = field.relation.target
        w = without(field.relation.inverse)
        many = "Many" if field.is_list else "One"
        self.create_nested = f"{t}Create{many}{w}Input"
        self.update_nested = f"{t}Update{many}{w}Input"
        self.create_data = f"{t}Create{w}Input" if w else f"{t}CreateInput"
        self.update_data = f"{t}Update{w}DataInput" if w else f"{t}UpdateInput"
        self.update_with_where = f"{t}UpdateWithWhereUnique{w}Input"
        self.upsert_nested = f"{t}Upsert{w}Input"
        self.upsert_with_where = f"{t}UpsertWithWhereUnique{w}Input"


def generated_root_fields(model: Model) -> list[str]:
    return Names(model).root_fields()


def generated_type_names(model: Model) -> list[str]:
    subscription = SubscriptionNames(model)
    return [*Names(model).type_names(), subscription.where, subscription.payload, subscription.previous]
