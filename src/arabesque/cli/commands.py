"""The `arabesque` command line: parse the arguments, then make one call."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer


class _Cli(typer.Typer):
    """The command line. A missing or wrong key for secrets at rest (e.g. PostgreSQL without
    ARABESQUE_SECRET_KEY) ends any command with its one-line message and status 2, not a traceback."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            from arabesque.app.secrets.master_key import MasterKeyError  # imported here: most commands never need it
            from arabesque.store.sealed import SecretKeyError

            if not isinstance(exc, MasterKeyError | SecretKeyError):
                raise
            typer.echo(f"Error: {exc}", err=True)
            sys.exit(2)


app = _Cli(no_args_is_help=True, add_completion=False, help="Arabesque: KYC/KYB workflows.")


@app.command()
def simulate(
    definition: Annotated[Path, typer.Argument(help="A workflow definition record (JSON).")],
    context: Annotated[Path | None, typer.Option(help="The initial context (JSON object).")] = None,
    state: Annotated[str | None, typer.Option(help="Start from this persisted state.")] = None,
    events: Annotated[Path | None, typer.Option(help='A JSON array of {"type", "payload"?}.')] = None,
    secrets: Annotated[
        Path | None,
        typer.Option(help="Customer secrets for {secrets.NAME} (a JSON object); none by default."),
    ] = None,
) -> None:
    """Run a definition on events and print each resulting snapshot as JSON Lines."""
    from arabesque.cli.simulate import simulate_files

    raise typer.Exit(simulate_files(definition, context, state, events, secrets))


@app.command()
def version() -> None:
    """Print the version."""
    from arabesque import __version__

    typer.echo(__version__)


db_app = typer.Typer(no_args_is_help=True, help="Database administration.")
keys_app = typer.Typer(no_args_is_help=True, help="API keys.")
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="api-keys")
users_app = typer.Typer(no_args_is_help=True, help="Case Management users and their memberships.")
app.add_typer(users_app, name="users")
projects_app = typer.Typer(no_args_is_help=True, help="Projects (tenants).")
app.add_typer(projects_app, name="projects")


def _fail(exc: Exception) -> typer.Exit:
    """Print a use case's error (and the path of each problem) on stderr; exit status 1."""
    errors = getattr(exc, "errors", None) or []
    details = "; ".join(f"{e['path']}: {e['message']}" for e in errors)
    typer.echo(f"{getattr(exc, 'message', exc)}{': ' + details if details else ''}", err=True)
    return typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 3000,
    worker: Annotated[bool, typer.Option("--worker/--no-worker", help="Run a worker in this process.")] = True,
    concurrency: Annotated[int, typer.Option(help="Threads of the in-process worker.")] = 4,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="API processes (uvicorn workers; e.g. one per core). The outbox worker (unless --no-worker) "
            "runs once, in the supervising process, not in each API process.",
        ),
    ] = 1,
    threads: Annotated[
        int,
        typer.Option(
            min=1,
            help="Threads per API process for blocking work (each holds a database transaction). Few threads "
            "keep Python's GIL from thrashing under load; more only help when requests wait on slow I/O.",
        ),
    ] = 4,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request (off by default).")
    ] = False,
) -> None:
    """Migrate the database (seed it on first start) and serve the API (with a worker unless --no-worker).

    X-Forwarded-For/-Proto are honoured only from ARABESQUE_TRUSTED_PROXIES (addresses or CIDRs, comma-separated;
    none by default)."""
    import os

    import uvicorn

    from arabesque.app.errors import AppError
    from arabesque.asgi import THREADS_ENV, create_app
    from arabesque.cli.serve import forwarded_options, open_service

    try:
        forwarded = forwarded_options()
    except AppError as exc:
        raise _fail(exc) from exc
    service = open_service()
    first = service.first_start
    if first is not None:
        loaded = ", ".join(first.definitions or ["-"])
        typer.echo(f"First start: created the default project and loaded {loaded}")
        typer.echo(f"Admin user: {first.admin_email}  password: {first.admin_password}")
        typer.echo(f"API key (shown once): {first.api_key}")
    from arabesque.worker import Worker, WorkerSettings

    in_process = Worker(service.db, WorkerSettings.from_env(concurrency)) if worker else None
    if in_process is not None:
        in_process.start()
    _return_from_uvicorn_on_signals()
    try:
        if workers > 1:
            os.environ[THREADS_ENV] = str(threads)  # read by each process's app_from_env
            # uvicorn's supervisor spawns `workers` processes, each building the app from the environment
            # (the database is migrated and seeded above, once). The outbox worker started above lives in
            # this supervising process: one worker for the deployment, woken by NOTIFY on PostgreSQL (on
            # SQLite it polls, ARABESQUE_WORKER_POLL_SECONDS, as API commits happen in other processes).
            uvicorn.run(
                "arabesque.asgi:app_from_env",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level="info",
                access_log=access_log,
                **forwarded,
            )
        else:
            uvicorn.run(
                create_app(service.db, service.files_dir, threads=threads),
                host=host,
                port=port,
                log_level="info",
                access_log=access_log,
                **forwarded,
            )
    finally:
        if in_process is not None:
            in_process.stop()


def _return_from_uvicorn_on_signals() -> None:
    """uvicorn re-raises the SIGTERM or SIGINT that stopped it once it has shut down: with the default handlers
    that ends the process before `serve` stops its in-process worker (whose claims then wait for their lease to
    run out). With these handlers `uvicorn.run` returns instead, the worker stops gracefully and the process exits
    0, as a container runtime expects of a stopped container."""
    import signal

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)


@app.command("worker")
def worker_command(
    concurrency: Annotated[int, typer.Option(help="Effects executed at once (threads).")] = 4,
) -> None:
    """Execute the outbox's effects (plugin calls, child workflows, webhooks) until SIGTERM."""
    from arabesque.cli.worker import run_worker

    run_worker(concurrency)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations to the configured database."""
    from arabesque.app.secrets.master_key import load_master_keys
    from arabesque.store import Database, data_dir, database_url

    url = database_url()
    db = Database(url, secret_box=load_master_keys(url, data_dir()).secret_box())  # 0007 seals secrets
    try:
        db.upgrade()
    finally:
        db.dispose()
    typer.echo("database is up to date")


@keys_app.command("create")
def api_keys_create(
    project: Annotated[str | None, typer.Option(help="Project id or name (default: the only one).")] = None,
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
) -> None:
    """Create an API key; the key alone is printed on the last line."""
    from arabesque.app.access.api_keys import create_api_key
    from arabesque.app.errors import AppError
    from arabesque.cli.serve import open_service

    service = open_service(seed=False)
    try:
        created = create_api_key(service.db, project, name)
    except AppError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"created key {created.prefix} for project {created.project_id}")
    typer.echo(created.key)


@keys_app.command("revoke")
def api_keys_revoke(
    key: Annotated[str, typer.Argument(help="The key, its id or its prefix (arb_xxxxxxxx).")],
) -> None:
    """Revoke an API key."""
    from arabesque.app.access.api_keys import revoke_api_key
    from arabesque.app.errors import AppError
    from arabesque.cli.serve import open_service

    service = open_service(seed=False)
    try:
        key_id = revoke_api_key(service.db, key)
    except AppError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"revoked {key_id}")


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="The user's email (their sign-in name).")],
    role: Annotated[str, typer.Option(help="admin, reviewer or viewer.")] = "reviewer",
    project: Annotated[str | None, typer.Option(help="Project id or name (default: the only one).")] = None,
    name: Annotated[str, typer.Option(help="Full name.")] = "",
) -> None:
    """Create a user with a role in the project, or give an existing user a membership there (their password and
    other memberships stay as they are). A generated password is printed once, alone on the last line;
    ARABESQUE_USER_PASSWORD sets it instead."""
    import os

    from arabesque.app.access.users import create_user
    from arabesque.app.errors import AppError
    from arabesque.cli.serve import open_service

    service = open_service(seed=False)
    try:
        created = create_user(service.db, email, role, project, os.environ.get("ARABESQUE_USER_PASSWORD"), name)
    except AppError as exc:
        raise _fail(exc) from exc
    existing = "existing user" if created.existing else "user"
    typer.echo(f"{existing} {created.email} ({created.role}) in project {created.project_id}")
    if created.password:
        typer.echo("password (shown once):")
        typer.echo(created.password)


@users_app.command("list")
def users_list(
    project: Annotated[str | None, typer.Option(help="Project id or name (default: the only one).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array of {email, name, role, status}.")] = False,
) -> None:
    """The members of a project, with their role and status there."""
    import json

    from arabesque.app.access.users import list_members
    from arabesque.app.errors import AppError
    from arabesque.cli.serve import open_service

    service = open_service(seed=False)
    try:
        members = list_members(service.db, project)
    except AppError as exc:
        raise _fail(exc) from exc
    rows = [{k: m[k] for k in ("email", "name", "role", "status")} for m in members]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for row in rows:
        typer.echo(f"{row['email']}\t{row['role']}\t{row['status']}\t{row['name']}")


@users_app.command("set-password")
def users_set_password(
    email: Annotated[str, typer.Option(help="The user's email.")],
) -> None:
    """Set a user's password (ARABESQUE_USER_PASSWORD, else a generated one printed alone on the last line) and
    sign out all their sessions."""
    import os

    from arabesque.app.access.users import set_password
    from arabesque.app.errors import AppError
    from arabesque.cli.serve import open_service

    given = os.environ.get("ARABESQUE_USER_PASSWORD")
    service = open_service(seed=False)
    try:
        password = set_password(service.db, email, given)
    except AppError as exc:
        raise _fail(exc) from exc
    typer.echo(f"password of {email.strip().lower()} changed; their sessions were signed out")
    if given is None:
        typer.echo("password (shown once):")
        typer.echo(password)


@projects_app.command("create")
def projects_create(
    name: Annotated[str, typer.Argument(help="The project's name.")],
    customer: Annotated[
        str | None, typer.Option(help="The customer it belongs to (created when missing; default: 'default').")
    ] = None,
) -> None:
    """Create a project; its id is printed alone on the last line."""
    from arabesque.app.access.projects import create_project
    from arabesque.app.errors import AppError
    from arabesque.cli.serve import open_service

    service = open_service(seed=False)
    try:
        project_id = create_project(service.db, name, customer)
    except AppError as exc:
        raise _fail(exc) from exc
    typer.echo(f"created project {name.strip()}")
    typer.echo(project_id)


@projects_app.command("list")
def projects_list(
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array of {id, name, customer}.")] = False,
) -> None:
    """Every project: id, name and customer."""
    import json

    from arabesque.app.access.projects import list_projects
    from arabesque.cli.serve import open_service

    projects = list_projects(open_service(seed=False).db)
    if as_json:
        typer.echo(json.dumps(projects))
        return
    for p in projects:
        typer.echo(f"{p['id']}\t{p['name']}\t{p['customer']}")


secrets_app = typer.Typer(no_args_is_help=True, help="Secrets at rest: the master key and its rotation.")
app.add_typer(secrets_app, name="secrets")


@secrets_app.command("generate-key")
def secrets_generate_key() -> None:
    """Print a new random key for ARABESQUE_SECRET_KEY."""
    from arabesque.app.secrets.master_key import generate_key

    typer.echo(generate_key())


@secrets_app.command("rotate-key")
def secrets_rotate_key() -> None:
    """Re-encrypt every project and webhook secret with the current key (ARABESQUE_SECRET_KEY, the previous
    ones in ARABESQUE_PREVIOUS_SECRET_KEYS); on the embedded default, generate a new key file first."""
    from arabesque.app.secrets.rotation import rotate_key
    from arabesque.store import data_dir, database_url

    report = rotate_key(database_url(), data_dir())
    if report.new_key:
        typer.echo(f"generated a new key in {report.key_file}")
    typer.echo(f"re-encrypted {report.resealed} secrets ({report.unchanged} already current) with key {report.key_id}")
    if report.key_file is not None:
        typer.echo(f"{report.key_file} now holds the new key alone; restart `arabesque serve`")
    else:
        typer.echo("every secret uses the current key: remove ARABESQUE_PREVIOUS_SECRET_KEYS and restart the processes")
