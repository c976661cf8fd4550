"""Command line: `serve` runs the API locally (what `make run` does); `migrate` brings a stage's
tables and data to the schema; `export` and `import` move a stage's records to and from a JSON
Lines file; `check` audits a stage and `cleanup` removes the links its deleted records left (and finishes
file fields' bucket work their writes' requests left)."""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any

from chalicelib.access.api_keys import generate_key

if TYPE_CHECKING:
    from chalicelib.files.objects import Objects
    from chalicelib.schema import Registry
    from chalicelib.service import Service
    from chalicelib.settings import Settings
    from chalicelib.store.records import RecordStore
    from chalicelib.store.tables import Tables
    from tooling.local.dynamodb import LocalDynamoDB
    from tooling.local.kept_data import KeptData


def serve(host: str, port: int, *, fresh: bool = False, seed: str | None = None) -> None:
    from chalicelib.routes import create_app
    from chalicelib.service import Service
    from chalicelib.settings import Settings
    from tooling.local import discovery, moto_streams
    from tooling.local.dynamodb import LocalDynamoDB, collect_less
    from tooling.local.server import make_server
    from tooling.local.streams import StreamReader
    from tooling.local.websocket import Hub

    # Request logs stay; CloudWatch metrics (printed as JSON) are for Lambda, not a terminal.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    dynamodb = kept = None
    if not os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
        collect_less()
        dynamodb = LocalDynamoDB().start()
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb.url
        # moto serves S3 on the same endpoint: the file fields' bucket (chalicelib/files).
        os.environ.setdefault("AWS_ENDPOINT_URL_S3", dynamodb.url)
        print(f"Embedded DynamoDB (moto) at {dynamodb.url}", flush=True)
    if not os.environ.get("ADMIN_API_KEY"):
        os.environ["ADMIN_API_KEY"] = generate_key()
        print(f"Generated API key (role system-admin): {os.environ['ADMIN_API_KEY']}", flush=True)
    try:
        service = Service(Settings.from_environ())
        if dynamodb is not None:
            kept = _keep(dynamodb, service, fresh)
        _bring_up(service, embedded=dynamodb is not None)
        if seed is not None:
            _seed(service, seed)
        if dynamodb is not None:
            # The command line finds this DynamoDB while the server runs (tooling/local/discovery.py).
            settings = service.settings
            discovery.announce(dynamodb.url, settings.store.table_prefix, settings.files.endpoint_url, settings.bucket)
        # Subscriptions: the tables' streams read as the embedded DynamoDB (or every half second,
        # another one) says they changed, delivered to the WebSocket connections of the same port.
        hub = Hub(service)
        # The embedded DynamoDB keeps a stream's records until this reader has delivered them.
        follower = moto_streams.Follower() if dynamodb is not None else None
        reader = StreamReader(
            hub.delivery,
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"],
            service.settings.store.region,
            dynamodb is not None,
            passed=None if follower is None else follower.passed,
        )
        if dynamodb is not None:
            moto_streams.listen(reader.note)
        reader.start()
        server = make_server(create_app(service), host, port, websockets=hub)
    except BaseException:
        if kept is not None:
            kept.stop()
        if dynamodb is not None:
            dynamodb.stop()
        raise
    try:
        # Inside the try: a signal that lands right after the announcement still stops cleanly.
        print(f"Subscriptions at ws://{host}:{port}/graphql (graphql-transport-ws)", flush=True)
        print(f"Shoreline API ready at http://{host}:{port}/graphql", flush=True)
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()
        reader.stop()
        if dynamodb is not None:
            discovery.withdraw()
            # Last, once nothing writes: what the last second changed goes to disk too.
            if kept is not None:
                kept.stop()
            dynamodb.stop()
        print("Stopped.", flush=True)


def _keep(dynamodb: LocalDynamoDB, service: Service, fresh: bool) -> KeptData:
    """The embedded DynamoDB's data and its file fields' bucket, read back from disk (unless
    `fresh`), and kept there from now on."""
    from tooling.local.buckets import create_bucket
    from tooling.local.kept_data import KeptData, folder
    from tooling.local.kept_files import KeptFiles

    tables = service.tables
    transient = frozenset(cls.Meta.table_name for cls in tables.subscriptions.classes())
    objects = None if service.files is None else service.files.objects
    files = None
    # Only the embedded S3's bucket is kept (AWS_ENDPOINT_URL_S3 may name another).
    if objects is not None and objects.settings.endpoint_url == dynamodb.url:
        files = KeptFiles(folder(), objects.bucket)
    kept = KeptData(folder(), service.settings.store.region, dynamodb.lock, transient, files)
    kept.claim()
    try:
        if objects is not None:
            # Made here, not with the tables: what was kept is restored into it.
            create_bucket(objects)
        if fresh:
            kept.discard()
        items, restored = kept.restore(dynamodb.url)
        kept.start()
    except BaseException:
        kept.stop()
        raise
    kept_files = f" and {restored:,} files" if files is not None else ""
    print(f"Local data in {kept.folder}: {items:,} items{kept_files} kept from the last run", flush=True)
    return kept


def _bring_up(service: Service, *, embedded: bool) -> None:
    """The embedded DynamoDB holds what the last run left (kept_data), or nothing: it is brought to
    the schema at start (its tables created, or migrated with their data). So is a stage with no
    tables yet. Any other stage is served only if it records the schema (StaleStage otherwise:
    `migrate` first)."""
    from chalicelib import schema_state as state
    from chalicelib.settings import StartupError
    from tooling.migrations.apply import apply
    from tooling.migrations.plan import plan

    tables = service.tables
    created = not any(cls.exists() for cls in tables.all_classes())
    if not (embedded or created):
        state.require_current(tables, service.settings)
        return
    found = plan(tables, "the local data", service.settings.schema_path.name)
    if found.current:
        return
    if created:
        # Nothing stored, so nothing can block it: it creates the tables and records the schema.
        apply(tables, found, say=lambda _: None)
        return
    print(found.text(), flush=True)
    if found.blocked or not apply(tables, found):
        raise StartupError(
            "the local data cannot be brought to this schema (see above): fix the schema, "
            "or start afresh with `make run FRESH=1`"
        )


def _seed(service: Service, path: str) -> None:
    """Load a JSON Lines file (as `export` writes it) into local data that holds no records yet."""
    from tooling.transfer import TransferError, check_empty, import_lines

    try:
        check_empty(service.registry, service.store)
    except TransferError:
        print(f"Seed {path} not loaded: the local data has records (`make run FRESH=1` starts afresh)", flush=True)
        return
    bucket = service.files.objects if service.files is not None else None
    with open(path, encoding="utf-8") as handle:
        lines = import_lines(service.registry, service.store, handle, bucket=bucket)
    print(f"Seeded the local data from {path} ({lines:,} lines)", flush=True)


LOCAL_HELP = "the local server's DynamoDB (`make run`; the default when it runs and nothing else is named)"


def _stop_with_parent() -> None:
    """Stop on SIGTERM like on Ctrl-C, and when the parent (`make`) dies, so nothing is left behind."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _tables(stage: str | None) -> tuple[Settings, Tables]:
    from chalicelib.schema import load_schema_file
    from chalicelib.settings import Settings
    from chalicelib.stages import stage_environment
    from chalicelib.store.tables import Tables

    env = dict(os.environ)
    if stage is not None:
        env = {
            **env,
            **stage_environment(stage),
            **({"SCHEMA": os.environ["SCHEMA"]} if "SCHEMA" in os.environ else {}),
        }
    settings = Settings.from_environ(env)
    return settings, Tables(load_schema_file(settings.schema_path), settings.store)


def _write_json(document: Any, out: str | None) -> None:
    import json

    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(text)


def tables_command(action: str, stage: str | None, out: str | None) -> int:
    from tooling.deploy.tables import expiring, template

    settings, tables = _tables(stage)
    if action == "template":
        _write_json(template(tables, protect=settings.stage == "prod"), out)
        return 0
    # The tables, their indexes and the data brought to the schema, which the stage then records.
    migrated = migrate_command(stage, apply=True)
    if migrated:
        return migrated
    client = tables.connection.client
    for cls in tables.all_classes():
        client.update_continuous_backups(
            TableName=cls.Meta.table_name,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    for cls in expiring(tables):
        described = client.describe_time_to_live(TableName=cls.Meta.table_name)["TimeToLiveDescription"]
        if described.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            client.update_time_to_live(
                TableName=cls.Meta.table_name, TimeToLiveSpecification={"AttributeName": "_ttl", "Enabled": True}
            )
    print(f"tables of stage {settings.stage} ready: {', '.join(c.Meta.table_name for c in tables.all_classes())}")
    return 0


def policy_command(stage: str, out: str | None) -> None:
    from tooling.deploy.policy import stage_policy

    _write_json(stage_policy(*_tables(stage)), out)


def package_files_command(stage: str, out: str) -> None:
    """What `chalice package` merges and carries for the stage (see tooling/deploy/package.py)."""
    from chalicelib.gateway.routes import STREAM_FUNCTION
    from chalicelib.routes import APP_NAME, FUNCTIONS
    from chalicelib.settings import PROJECT_ROOT
    from chalicelib.stages import api_gateway_stage
    from tooling.deploy.package import FilesBucket, copy_schema, template

    settings, tables = _tables(stage)
    merged = template(
        tables,
        APP_NAME,
        stage,
        FUNCTIONS,
        protect=settings.stage == "prod",
        api_stage=api_gateway_stage(stage),
        stream_function=STREAM_FUNCTION,
        files=FilesBucket(settings.bucket, settings.cors.allow_origins) if tables.registry.has_files else None,
    )
    _write_json(merged, out)
    print(f"stage {stage}: {copy_schema(settings.schema_path, PROJECT_ROOT)} is {settings.schema_path}")
    prebuild_command(stage)


def sdl_command(stage: str | None, out: str | None) -> None:
    """The API's schema as clients see it (GraphQL SDL), for code generators."""
    from graphql import print_schema

    from chalicelib.service import Service

    settings, _ = _tables(stage)
    text = print_schema(Service(settings).schema) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(text)


def prebuild_command(stage: str) -> None:
    """What a cold start of the stage would otherwise work out: its generated SDL, parsed."""
    from chalicelib.api.parsed_sdl import FOLDER
    from chalicelib.service import Service

    settings, _ = _tables(stage)
    Service(settings)  # building it keeps the parsed SDL (see chalicelib/api/parsed_sdl.py)
    print(f"stage {stage}: the parsed SDL is in {FOLDER}")


def _store(stage: str | None) -> tuple[Registry, RecordStore]:
    """The registry and store of a stage (its settings from `.chalice/config.json`), or of the
    environment as it is when no stage is given."""
    from chalicelib.store.records import RecordStore

    _, tables = _tables(stage)
    return tables.registry, RecordStore(tables)


def check_command(stage: str | None) -> int:
    """Prints each inconsistency; links awaiting the cleanup job are counted, not listed (a large
    deletion leaves many), and do not fail the check."""
    from chalicelib import schema_state as state
    from tooling.consistency import Kept, Problem, audit, pending_count

    _, store = _store(stage)
    stored = state.read(store.tables)
    problems = pending = kept = 0
    for finding in audit(store, stored.retired if stored is not None else frozenset()):
        if isinstance(finding, Problem):
            problems += 1
            print(finding)
        elif isinstance(finding, Kept):
            kept += 1
        else:
            pending += 1
    print(f"{problems} inconsistencies found")
    if kept:
        print(f"{kept} links of relations the schema no longer has are kept (`migrate` keeps removed data)")
    deleted = pending_count(store)
    if pending or deleted:
        print(
            f"{deleted} deleted records await the cleanup job, leaving {pending} links to them "
            "(not inconsistencies: `python -m chalicelib cleanup` removes them)"
        )
    return 1 if problems else 0


def migrate_command(
    stage: str | None, apply: bool, data_only: bool = False, drop: bool = False, confirmed: bool = False
) -> int:
    """Print the plan; with `apply`, carry it out. 1 when something blocks it. Deleting kept data in
    production (`drop`) needs `confirmed` too: the plan is printed first, so it is read first."""
    from chalicelib.settings import PRODUCTION
    from tooling.migrations.apply import apply as carry_out
    from tooling.migrations.plan import plan

    settings, tables = _tables(stage)
    label = f"stage {settings.stage} (tables {settings.store.table_prefix}*)"
    found = plan(tables, label, settings.schema_path.name, data_only=data_only, drop=drop)
    print(found.text(), flush=True)
    if found.blocked:
        print("Nothing written: fix these records (or the schema), then run again.")
        return 1
    if found.current:
        return 0
    if not apply:
        print("Nothing written: run again with --apply to carry it out.")
        return 0
    if found.drops and settings.stage == PRODUCTION and not confirmed:
        print(f"Nothing written: --drop deletes data of stage {PRODUCTION} for good; add --yes to confirm the plan.")
        return 1
    return 0 if carry_out(tables, found) else 1


def _bucket(settings: Settings, registry: Registry) -> Objects | None:
    """The stage's bucket of file fields, if its schema has any."""
    from chalicelib.files.objects import Objects

    return Objects(settings.files, settings.bucket, settings.store.region) if registry.has_files else None


def cleanup_command(stage: str | None, writes: int | None, seconds: float | None, min_age: float) -> int:
    from functools import partial

    from chalicelib.files.settling import perform
    from chalicelib.store.cleanup import Budget, run

    settings, tables = _tables(stage)
    bucket = _bucket(settings, tables.registry)
    settle = None if bucket is None else partial(perform, bucket)
    report = run(tables, Budget(writes=writes, seconds=seconds), min_age=min_age, settle=settle)
    print(report)
    return 0


def export(path: str, stage: str | None, types: list[str] | None) -> None:
    from tqdm import tqdm

    from tooling.transfer import export_lines

    registry, store = _store(stage)
    with open(path, "w", encoding="utf-8") as handle, tqdm(desc="exported", unit=" records") as bar:
        for line in export_lines(registry, store, types):
            handle.write(line + "\n")
            bar.update()


def import_(path: str, stage: str | None, resume: bool) -> None:
    from pathlib import Path

    from tqdm import tqdm

    from chalicelib.store.records import RecordStore
    from tooling.transfer import Progress, TransferError, check_empty, count_lines, import_lines

    settings, tables = _tables(stage)
    registry, store = tables.registry, RecordStore(tables)
    progress = Progress(Path(path))
    skip = progress.read() if resume else 0
    if not resume:
        if progress.read():
            raise TransferError(f"{path} was partly imported already: add --resume to go on")
        check_empty(registry, store)
    with open(path, encoding="utf-8") as handle:
        total = count_lines(handle)
        with tqdm(total=total, initial=skip, desc="imported", unit=" records") as bar:

            def done(lines: int) -> None:
                progress.write(lines)
                bar.update(lines - bar.n)

            import_lines(registry, store, handle, bucket=_bucket(settings, registry), skip=skip, done=done)
    progress.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="run the API locally on an embedded DynamoDB")
    run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    run.add_argument(
        "--fresh", action="store_true", help="start with no data, forgetting what earlier runs kept (.local/data)"
    )
    run.add_argument("--seed", metavar="FILE", help="load this JSON Lines file when the local data holds no records")
    out = commands.add_parser("export", help="write every record of a stage to a JSON Lines file")
    out.add_argument("file")
    out.add_argument("--stage", help="a stage of .chalice/config.json (default: the environment)")
    out.add_argument("--local", action="store_true", help=LOCAL_HELP)
    out.add_argument("--types", help="comma-separated models (default: all)")
    into = commands.add_parser("import", help="restore a JSON Lines export into an empty stage")
    into.add_argument("file")
    into.add_argument("--stage", help="a stage of .chalice/config.json (default: the environment)")
    into.add_argument("--local", action="store_true", help=LOCAL_HELP)
    into.add_argument("--resume", action="store_true", help="go on with an interrupted import")
    tables = commands.add_parser(
        "tables", help="the stage's DynamoDB tables: a CloudFormation template, or create them"
    )
    tables.add_argument("action", choices=["template", "create"])
    tables.add_argument("--stage", help="a stage of .chalice/config.json (default: the environment)")
    tables.add_argument("--local", action="store_true", help=LOCAL_HELP)
    tables.add_argument("--out", help="write the template to this file (default: standard output)")
    iam = commands.add_parser("policy", help="the stage's least-privilege IAM policy, for iam_policy_file")
    iam.add_argument("--stage", required=True)
    iam.add_argument("--out", help="write the policy to this file (default: standard output)")
    audit = commands.add_parser("check", help="report guard, relation and index inconsistencies of a stage")
    audit.add_argument("--stage", help="a stage of .chalice/config.json (default: the environment)")
    audit.add_argument("--local", action="store_true", help=LOCAL_HELP)
    clean = commands.add_parser(
        "cleanup", help="remove the links deleted records left (children, edges); finish file moves and deletions"
    )
    clean.add_argument("--stage", help="a stage of .chalice/config.json (default: the environment)")
    clean.add_argument("--local", action="store_true", help=LOCAL_HELP)
    clean.add_argument("--max-writes", type=int, help="stop after about this many items written (default: no limit)")
    clean.add_argument("--max-seconds", type=float, help="start no new step after this long (default: no limit)")
    clean.add_argument(
        "--min-age",
        type=float,
        default=60.0,
        help="leave deletions younger than this many seconds for a later run (default: 60)",
    )
    migrate = commands.add_parser(
        "migrate", help="plan (and with --apply, make) the changes that bring a stage's tables and data to the schema"
    )
    migrate.add_argument("--stage", help="a stage of .chalice/config.json (default: the environment)")
    migrate.add_argument("--local", action="store_true", help=LOCAL_HELP)
    migrate.add_argument("--apply", action="store_true", help="carry the plan out (default: print it only)")
    migrate.add_argument(
        "--drop",
        action="store_true",
        help="delete what the stage keeps of models and relations the schema no longer has (default: keep it)",
    )
    migrate.add_argument("--yes", action="store_true", help="confirm --drop in stage prod, having read its plan")
    migrate.add_argument(
        "--data-only",
        action="store_true",
        help="create and delete no table or index (CloudFormation's): a missing one blocks the plan",
    )
    prebuild = commands.add_parser("prebuild", help="parse the stage's generated SDL ahead, for its package")
    prebuild.add_argument("--stage", required=True)
    sdl = commands.add_parser("sdl", help="the API's schema as clients see it (GraphQL SDL), for code generators")
    sdl.add_argument("--stage", help="a stage of .chalice/config.json (default: the environment)")
    sdl.add_argument("--out", help="write it to this file (default: standard output)")
    package = commands.add_parser(
        "package-files", help="the template `chalice package` merges, the schema and parsed SDL it carries"
    )
    package.add_argument("--stage", required=True)
    package.add_argument("--out", required=True, help="write the template to merge to this file")
    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    from chalicelib.schema import SchemaError
    from chalicelib.settings import StartupError
    from tooling.local.discovery import NoLocalServer, find
    from tooling.local.kept_data import DataInUse
    from tooling.transfer import TransferError

    try:
        if getattr(args, "local", False) and args.stage is not None:
            raise StartupError("--local and --stage name two places: give one")
        if (
            hasattr(args, "local")
            and args.stage is None
            and not (args.command == "tables" and args.action == "template")
        ):
            find(insist=args.local)
        if args.command == "serve":
            _stop_with_parent()
            serve(args.host, args.port, fresh=args.fresh, seed=args.seed)
        elif args.command == "check":
            return check_command(args.stage)
        elif args.command == "migrate":
            return migrate_command(args.stage, args.apply, args.data_only, args.drop, args.yes)
        elif args.command == "cleanup":
            return cleanup_command(args.stage, args.max_writes, args.max_seconds, args.min_age)
        elif args.command == "tables":
            return tables_command(args.action, args.stage, args.out)
        elif args.command == "policy":
            policy_command(args.stage, args.out)
        elif args.command == "prebuild":
            prebuild_command(args.stage)
        elif args.command == "sdl":
            sdl_command(args.stage, args.out)
        elif args.command == "package-files":
            package_files_command(args.stage, args.out)
        elif args.command == "export":
            export(args.file, args.stage, args.types.split(",") if args.types else None)
        else:
            import_(args.file, args.stage, args.resume)
    except (TransferError, StartupError, SchemaError, NoLocalServer, DataInUse, KeyError, OSError) as error:
        print(f"python -m chalicelib {args.command}: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError, PynamoDBException) as error:
        # What DynamoDB (or reaching it) refused, in one line: no credentials, no endpoint, no table.
        print(f"python -m chalicelib {args.command}: DynamoDB: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    return 0
