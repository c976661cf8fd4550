"""Subscriptions: how long a change takes from its commit to a subscriber, and what matching one
event costs as the open subscriptions of its model grow.

Latency: the local server as `make run` runs it (`python -m chalicelib serve`); a client of
graphql-transport-ws (websocket-client, as the tests use) subscribes to the cities created, and
another creates cities over HTTP one at a time. For each, the time from the mutation's HTTP answer
(the commit) to the `next` message's arrival, taken by a thread that reads the socket as messages
come (a message that beats the answer counts negative). Twice: on the server's own embedded
DynamoDB, whose reader is told when a stream has new records (what `make run` does), and against a
DynamoDB in a process of its own, whose streams the reader polls (POLL_SECONDS).

Matching: in process, transport-free, on an embedded DynamoDB. N subscriptions of City, each on a
connection of its own, kept through the server's own code (`identify`, `register`, the state's
items; their items written in batches, and the one query text they all send parsed and validated
once, as registering 10,000 one request at a time would take minutes). Five match the event (two
name its record's id, three its name); of the others, three in four name other records' ids, which
the index files away from the event, and one in four another name, which the event is judged
against. The event is one `updateCity`, its record read from the embedded DynamoDB's stream and
delivered as the local reader delivers it (`Delivery.deliver`, one batch of one record): DynamoDB
calls and items read, subscriptions evaluated, and time, at each N.
"""

from __future__ import annotations

import http.client
import json
import random
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import websocket

from bench.bulk import dynamodb_process, items_service
from bench.harness import KEY, ROOT, run
from bench.load import KEY as SERVER_KEY
from bench.load import server
from bench.relations import Observed, observing
from chalicelib.api import ids
from chalicelib.service import Service
from chalicelib.subscriptions.delivery import Delivery, Report
from chalicelib.subscriptions.identity import Identity, identify
from chalicelib.subscriptions.registration import Operation, operation, register
from chalicelib.subscriptions.state import Subscription, SubscriptionState
from chalicelib.subscriptions.tables import ConnectionBase, SubscriptionBase, SubscriptionTables
from tooling.local.dynamodb import LocalDynamoDB
from tooling.local.streams import POLL_SECONDS

SCHEMA = ROOT / "examples" / "cities.graphql"
WARMUP = 5
SAMPLES = 50
# Seconds a `next` may take before the sample is reported lost.
PATIENCE = 10.0
# Seconds between a `next` and the next mutation, drawn at random: the reader of a stream that keeps
# receiving records reads it again at once, and polls only once it has found it empty, so mutations
# sent back to back would each be found by the reader still in its last read.
GAP = (0.1, 0.1 + POLL_SECONDS)

CREATED = "subscription { city(where: {mutation_in: [CREATED]}) { mutation node { id name } } }"
CREATE = "mutation ($n: String!) { createCity(input: {data: {name: $n}}) { data { id } } }"

SIZES = (10, 1_000, 10_000)
TARGET = "Target"
BY_ID, BY_NAME = 2, 3
# Timed deliveries at each N (the median is printed), one only where one took TIME_BUDGET seconds.
TIMED = 3
TIME_BUDGET = 3.0
WATCH = (
    "subscription ($where: CitySubscriptionWhereInput) {"
    " city(where: $where) { mutation node { id name population } updatedFields } }"
)
UPDATE = (
    "mutation ($id: ID!, $p: Int!) { updateCity(input: {where: {id: $id}, data: {population: $p}}) { data { id } } }"
)


# Latency --------------------------------------------------------------------------------------


class Watcher:
    """A graphql-transport-ws client subscribed to the cities created; each city's `next` is noted
    with the moment it arrived."""

    def __init__(self, port: int) -> None:
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"], timeout=30
        )
        self._send({"type": "connection_init", "payload": {"Authorization": f"Bearer {SERVER_KEY}"}})
        assert self._receive() == {"type": "connection_ack"}
        self._send({"id": "created", "type": "subscribe", "payload": {"query": CREATED}})
        # The server handles a connection's messages in order: the pong says the subscription is kept.
        self._send({"type": "ping"})
        answer = self._receive()
        assert answer == {"type": "pong"}, answer
        self.arrived: dict[str, float] = {}
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _send(self, message: dict[str, Any]) -> None:
        self.ws.send(json.dumps(message))

    def _receive(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.ws.recv())
        return message

    def _read(self) -> None:
        while True:
            try:
                text = self.ws.recv()
            except (websocket.WebSocketException, OSError):
                return
            at = time.perf_counter()
            if not text:  # the server closed the connection
                return
            message = json.loads(text)
            if message.get("type") != "next":
                continue
            city = message["payload"]["data"]["city"]
            with self._changed:
                self.arrived[city["node"]["id"]] = at
                self._changed.notify_all()

    def arrival(self, city_id: str) -> float | None:
        with self._changed:
            self._changed.wait_for(lambda: city_id in self.arrived, PATIENCE)
            return self.arrived.get(city_id)

    def close(self) -> None:
        self.ws.close()
        self._thread.join(timeout=5)


@dataclass(frozen=True)
class Latencies:
    delivery: list[float]  # seconds from the HTTP answer to the `next`, one per sample
    sent: list[float]  # seconds from sending the mutation to the `next`
    mutation: list[float]  # seconds of the createCity's HTTP round trip
    lost: int


def latencies(settings: dict[str, str]) -> Latencies:
    with server({"SCHEMA": str(SCHEMA), **settings}) as served:
        watcher = Watcher(served.port)
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {SERVER_KEY}"}
        delivery, since_sent, mutation, lost = [], [], [], 0
        pause = random.Random(17)
        try:
            for sample in range(WARMUP + SAMPLES):
                time.sleep(pause.uniform(*GAP))
                body = json.dumps({"query": CREATE, "variables": {"n": f"city {sample}"}})
                sent = time.perf_counter()
                connection.request("POST", "/graphql", body, headers)
                result = json.loads(connection.getresponse().read())
                answered = time.perf_counter()
                if "errors" in result:
                    raise RuntimeError(f"createCity failed: {result['errors']}")
                arrived = watcher.arrival(result["data"]["createCity"]["data"]["id"])
                if sample < WARMUP:
                    continue
                if arrived is None:
                    lost += 1
                    continue
                delivery.append(arrived - answered)
                since_sent.append(arrived - sent)
                mutation.append(answered - sent)
        finally:
            connection.close()
            watcher.close()
    return Latencies(delivery, since_sent, mutation, lost)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def report_latency(rows: list[tuple[str, Latencies]]) -> None:
    print(
        "Subscriptions: delivery latency, from a createCity's HTTP answer (its commit) to the `next` message,\n"
        f"{SAMPLES} samples after {WARMUP} warm-up, one mutation at a time {GAP[0]}-{GAP[1]} s apart, one\n"
        "subscriber (websocket-client):"
    )
    wide = max(len(name) for name, _ in rows) + 1
    heads = ("p50", "p99", "min", "p50 sent", "mutation")
    print(f"  {'stream reader':<{wide}}" + "".join(f"{h:>11}" for h in heads) + f"{'early':>7}{'lost':>6}")
    for name, found in rows:
        values = found.delivery
        if not values:
            print(f"  {name:<{wide}} every sample lost")
            continue
        figures = (
            statistics.median(values),
            percentile(values, 0.99),
            min(values),
            statistics.median(found.sent),
            statistics.median(found.mutation),
        )
        cells = "".join(f"{v * 1000:>8.1f} ms" for v in figures)
        early = sum(1 for v in values if v < 0)
        print(f"  {name:<{wide}}{cells}{early:>7}{found.lost:>6}")
    print(
        f"  (p99 of {SAMPLES} samples is the largest of them; p50 sent: from sending the mutation, an upper\n"
        "  bound, as the commit lies between the request and its answer; mutation: the createCity's own\n"
        "  round trip (p50); early: samples whose `next` arrived before the HTTP answer was read, a negative\n"
        f"  latency. Polled: the reader looks at every stream every {POLL_SECONDS} s once it finds them empty,\n"
        f"  so a change waits {POLL_SECONDS / 2} s for it on average. Signalled: moto says a stream has a new\n"
        "  record as it appends it, inside the write's own request, and the reader wakes then; the rest is\n"
        "  the reader's and the delivery's DynamoDB calls, each a request to the one-at-a-time moto)"
    )


# Matching -------------------------------------------------------------------------------------


class Batched(SubscriptionState):
    """The state the server keeps, the same items, written 25 to a BatchWriteItem when `flush`ed
    rather than one PutItem as each subscriber arrives."""

    def __init__(self, tables: SubscriptionTables) -> None:
        super().__init__(tables)
        self.connections: list[ConnectionBase] = []
        self.subscriptions: list[SubscriptionBase] = []

    def connect(self, connection: str, identity: Identity) -> None:
        self.connections.append(self.connection_item(connection, identity))

    def subscribe(self, subscription: Subscription) -> None:
        self.subscriptions += self.subscription_items(subscription)

    def flush(self) -> None:
        with self.tables.connection.batch_write() as connections:
            for connection in self.connections:
                connections.save(connection)
        with self.tables.subscription.batch_write() as subscriptions:
            for subscription in self.subscriptions:
                subscriptions.save(subscription)
        self.connections.clear()
        self.subscriptions.clear()


@dataclass
class Watching:
    """The subscriptions kept so far, and which of them the event matches."""

    count: int = 0
    other_ids: int = 0
    other_names: int = 0
    matching: frozenset[tuple[str, str]] = frozenset()


def filters(target: str, start: int, end: int) -> Iterator[dict[str, Any]]:
    """The `where` of subscriptions number start to end - 1 (the first BY_ID + BY_NAME match)."""
    for number in range(start, end):
        if number < BY_ID:
            yield {"node": {"match": {"id": [target]}}}
        elif number < BY_ID + BY_NAME:
            yield {"node": {"match": {"name": [TARGET]}}}
        elif number % 4:
            yield {"node": {"match": {"id": [ids.new_id("City")]}}}
        else:
            yield {"node": {"match": {"name": [f"city {number}"]}}}


def keep(api: Service, watching: Watching, target: str, size: int, document: Operation) -> None:
    """Open subscriptions until there are `size`, each on a connection of its own, as the admin."""
    state = Batched(api.tables.subscriptions)
    context, identity = identify(api, f"Bearer {KEY}")
    matching = set(watching.matching)
    for number, where in enumerate(filters(target, watching.count, size), start=watching.count):
        connection = f"bench-{number:05d}"
        state.connect(connection, identity)
        request = {"query": WATCH, "variables": {"where": where}}
        opened = register(api, state, connection, "city", context, request, document.document)
        if isinstance(opened, list):
            raise RuntimeError(f"subscribing failed: {opened}")
        if number < BY_ID + BY_NAME:
            matching.add((connection, "city"))
        elif opened.ids is None:
            watching.other_names += 1
        else:
            watching.other_ids += 1
        if len(state.subscriptions) >= 1000:
            state.flush()
    state.flush()
    watching.count = size
    watching.matching = frozenset(matching)


def latest_record(url: str, table: str) -> dict[str, Any]:
    """The last record of `table`'s stream, read through the Streams API as the local reader reads it."""
    streams = boto3.client("dynamodbstreams", endpoint_url=url, region_name="us-east-1")
    arn = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1").describe_table(TableName=table)["Table"][
        "LatestStreamArn"
    ]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][-1]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records: list[dict[str, Any]] = []
    position: str | None = iterator["ShardIterator"]
    while position:
        answer = streams.get_records(ShardIterator=position, Limit=1000)
        if not answer["Records"]:
            break
        records.extend(answer["Records"])
        position = answer.get("NextShardIterator")
    return records[-1]


@dataclass(frozen=True)
class Matched:
    size: int
    other_ids: int
    other_names: int
    calls: str
    total_calls: int
    queries: int
    gets: int
    items: int
    evaluated: int
    delivered: int
    ms: float
    reading_ms: float


def matched(api: Service, url: str, watching: Watching, target: str) -> Matched:
    """One event of the target city against the subscriptions kept, delivered as the local reader does."""
    run(api, UPDATE, {"id": target, "p": watching.count})
    table = api.tables.model_class("City").Meta.table_name
    record = latest_record(url, table)
    assert record["eventName"] == "MODIFY", record["eventName"]
    sent: list[tuple[str, str]] = []

    def send(connection: str, message: dict[str, Any]) -> bool:
        assert message["payload"]["data"]["city"]["node"]["population"] == watching.count, message
        sent.append((connection, message["id"]))
        return True

    state = SubscriptionState(api.tables.subscriptions)
    delivery = Delivery(api, state, send)
    seconds: list[float] = []
    calls: list[tuple[Observed, Report]] = []
    while len(seconds) < TIMED and (not seconds or seconds[0] < TIME_BUDGET):
        sent.clear()
        # A shard of its own each time: the checkpoint would otherwise drop the record as delivered.
        with observing(api) as observed:
            started = time.perf_counter()
            report = delivery.deliver(table, f"bench-{watching.count}-{len(seconds)}", [record])
            seconds.append(time.perf_counter() - started)
        calls.append((observed, report))
        if set(sent) != watching.matching or len(sent) != len(watching.matching):
            raise RuntimeError(f"delivered to {sorted(sent)}, expected {sorted(watching.matching)}")
    first, first_report = calls[0]
    started = time.perf_counter()
    read = sum(1 for _ in state.candidates("City", [target]))
    reading = time.perf_counter() - started
    # Those naming other cities' ids are filed under those ids: the event's Queries never read them.
    assert read == watching.count - watching.other_ids, (read, watching.count, watching.other_ids)
    return Matched(
        watching.count,
        watching.other_ids,
        watching.other_names,
        first.text(),
        first.total,
        first.calls["Query"],
        first.calls["BatchGetItem"],
        first.read,
        first_report.candidates,
        first_report.delivered,
        statistics.median(seconds) * 1000,
        reading * 1000,
    )


def matching() -> tuple[list[Matched], tuple[float, float]]:
    """The figures at each size; the seconds of the whole, and of opening the subscriptions."""
    dynamodb = LocalDynamoDB().start()
    started = time.perf_counter()
    opening = 0.0
    try:
        api = items_service(dynamodb.url, SCHEMA, "bench-subs-")
        target = run(api, 'mutation { createCity(input: {data: {name: "Target"}}) { data { id } } }')
        target_id: str = target["createCity"]["data"]["id"]
        document = operation(api, {"query": WATCH})
        if isinstance(document, list):
            raise RuntimeError(f"the subscription is invalid: {document}")
        watching = Watching()
        found = []
        for size in SIZES:
            before = time.perf_counter()
            keep(api, watching, target_id, size, document)
            opening += time.perf_counter() - before
            found.append(matched(api, dynamodb.url, watching, target_id))
    finally:
        dynamodb.stop()
    return found, (time.perf_counter() - started, opening)


def report_matching(rows: list[Matched], seconds: tuple[float, float]) -> None:
    print(
        f"\nMatching one event (updateCity, its stream record) against N open subscriptions of City, one\n"
        f"connection each; {BY_ID} name the city's id and {BY_NAME} its name (these match), of the others three\n"
        "in four name another city's id, one in four another name (embedded DynamoDB, in process):"
    )
    # (name, values, times rather than counts, with the ratio of the largest N to the smallest)
    figures: list[tuple[str, list[float], bool, bool]] = [
        ("subscriptions naming other ids", [r.other_ids for r in rows], False, False),
        ("subscriptions naming other names", [r.other_names for r in rows], False, False),
        ("DynamoDB calls", [r.total_calls for r in rows], False, True),
        ("  Query (subscriptions naming no record, or this one)", [r.queries for r in rows], False, True),
        ("  BatchGetItem (the candidates' subscribers)", [r.gets for r in rows], False, True),
        ("items read", [r.items for r in rows], False, True),
        ("subscriptions evaluated", [r.evaluated for r in rows], False, True),
        ("messages delivered", [r.delivered for r in rows], False, True),
        ("ms, the whole delivery (moto)", [r.ms for r in rows], True, True),
        ("ms, reading the candidates (moto)", [r.reading_ms for r in rows], True, True),
    ]
    wide = max(len(name) for name, _, _, _ in figures) + 1
    heads = "".join(f"{f'N = {r.size:,}':>12}" for r in rows)
    print(f"  {'':<{wide}}{heads}{f'{rows[-1].size:,}/{rows[0].size}':>12}")
    for name, values, timed, compared in figures:
        cells = "".join(f"{v:>12.1f}" if timed else f"{v:>12,.0f}" for v in values)
        ratio = f"{values[-1] / values[0]:>11.1f}x" if compared and values[0] else ""
        print(f"  {name:<{wide}}{cells}{ratio}")
    print("\n  DynamoDB calls of the delivery:")
    for row in rows:
        print(f"    N = {row.size:<7,} {row.calls}")
    print(
        "  What grows: the model's subscriptions are read whole for every batch (a Query, paged, of all N),\n"
        "  and every one the index cannot set aside (no id named, or the event's) is evaluated, its\n"
        "  connection's subscriber read (a GetItem per connection, once a batch) before its filter is.\n"
        "  What does not: subscriptions naming other records' ids are read but never evaluated. Besides\n"
        "  the Query: 1 GetItem and 1 PutItem, the shard's checkpoint."
    )
    print(f"  (the part took {seconds[0]:.0f} s, of it {seconds[1]:.0f} s opening the subscriptions and writing them)")


def main() -> None:
    signalled = latencies({})
    with dynamodb_process() as url:
        polled = latencies({"AWS_ENDPOINT_URL_DYNAMODB": url})
    report_latency(
        [
            ("signalled (make run: the embedded DynamoDB)", signalled),
            (f"polled every {POLL_SECONDS} s (DynamoDB in its own process)", polled),
        ]
    )
    found, seconds = matching()
    report_matching(found, seconds)
