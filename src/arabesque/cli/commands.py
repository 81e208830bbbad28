"""The `arabesque` command line: parse the arguments, then make one call."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

if TYPE_CHECKING:
    from arabesque.settings import Settings


class _Cli(typer.Typer):
    """The command line. An invalid setting, or a missing or wrong key for secrets at rest (e.g. PostgreSQL without
    ARABESQUE_SECRET_KEY), ends any command with its one-line message and status 2, not a traceback."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            from arabesque.app.secrets.master_key import MasterKeyError  # imported here: most commands never need it
            from arabesque.settings import SettingsError
            from arabesque.store.sealed import SecretKeyError

            if not isinstance(exc, MasterKeyError | SecretKeyError | SettingsError):
                raise
            typer.echo(f"Error: {exc}", err=True)
            sys.exit(2)


def _settings(log_stream: TextIO | None = None) -> Settings:
    """The settings, read once by the command that needs them. Its logs go to `log_stream`; without one, to
    stderr (stdout is the command's output: a key, a JSON list), warnings and errors only (not the migrations'
    progress, say)."""
    from arabesque.cli.startup import load_settings

    if log_stream is None:
        return load_settings(sys.stderr, least_level="warning")
    return load_settings(log_stream)


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
    emails: Annotated[
        Path | None,
        typer.Option(help='E-mail outcomes by plugin name: {"<plugin>": "sent" | {"error": "..."}}; default: sent.'),
    ] = None,
) -> None:
    """Run a definition on events and print each resulting snapshot as JSON Lines."""
    from arabesque.cli.simulate import simulate_files

    _settings()  # the limits
    raise typer.Exit(simulate_files(definition, context, state, events, secrets, emails))


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
        int | None,
        typer.Option(
            min=1,
            help="Threads per API process for blocking work (each holds a database transaction); default "
            "ARABESQUE_API_THREADS, 3. Few threads keep Python's GIL from thrashing under load; more only help "
            "when requests wait on slow I/O.",
        ),
    ] = None,
    access_log: Annotated[
        bool | None,
        typer.Option("--access-log/--no-access-log", help="A log line per request (default ARABESQUE_ACCESS_LOG, on)."),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Serve Prometheus metrics at /metrics on this port (on --host) instead of the API's port.",
        ),
    ] = None,
) -> None:
    """Migrate the database (seed it on first start) and serve the API (with a worker unless --no-worker).

    Settings come from ARABESQUE_* variables (README.md, Settings), e.g. X-Forwarded-For/-Proto are honoured only
    from ARABESQUE_TRUSTED_PROXIES. Logs: one JSON object per line on stdout (ARABESQUE_LOG_FORMAT)."""
    from arabesque.cli.serve_processes import serve_api

    settings = _settings(sys.stdout)
    serve_api(
        settings,
        host=host,
        port=port,
        worker=worker,
        concurrency=concurrency,
        workers=workers,
        threads=threads or settings.api_threads,
        access_log=settings.access_log if access_log is None else access_log,
        metrics_port=metrics_port,
    )


@app.command("worker")
def worker_command(
    concurrency: Annotated[int, typer.Option(help="Effects executed at once (threads).")] = 4,
    metrics_port: Annotated[
        int | None, typer.Option(min=1, help="Serve Prometheus metrics at /metrics on this port.")
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="Interface of the metrics port.")] = "127.0.0.1",
) -> None:
    """Execute the outbox's effects (plugin calls, child workflows, webhooks) until SIGTERM."""
    from arabesque.cli.worker import run_worker

    run_worker(_settings(sys.stdout), concurrency, metrics_port, metrics_host)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations to the configured database."""
    from arabesque.app.secrets.master_key import load_master_keys
    from arabesque.store import Database

    settings = _settings()
    url = settings.database
    keys = load_master_keys(url, settings.data_dir, *settings.secret_keys)
    db = Database(url, secret_box=keys.secret_box())  # 0007 seals secrets
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

    service = open_service(_settings(), seed=False)
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

    service = open_service(_settings(), seed=False)
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
    from arabesque.app.access.users import create_user
    from arabesque.app.errors import AppError
    from arabesque.cli.serve import open_service

    settings = _settings()
    service = open_service(settings, seed=False)
    given = settings.user_password.get_secret_value() if settings.user_password is not None else None
    try:
        created = create_user(service.db, email, role, project, given, name)
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

    service = open_service(_settings(), seed=False)
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
    from arabesque.app.access.users import set_password
    from arabesque.app.errors import AppError
    from arabesque.cli.serve import open_service

    settings = _settings()
    given = settings.user_password.get_secret_value() if settings.user_password is not None else None
    service = open_service(settings, seed=False)
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

    service = open_service(_settings(), seed=False)
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

    projects = list_projects(open_service(_settings(), seed=False).db)
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

    settings = _settings()
    report = rotate_key(settings.database, settings.data_dir, *settings.secret_keys)
    if report.new_key:
        typer.echo(f"generated a new key in {report.key_file}")
    typer.echo(f"re-encrypted {report.resealed} secrets ({report.unchanged} already current) with key {report.key_id}")
    if report.key_file is not None:
        typer.echo(f"{report.key_file} now holds the new key alone; restart `arabesque serve`")
    else:
        typer.echo("every secret uses the current key: remove ARABESQUE_PREVIOUS_SECRET_KEYS and restart the processes")
