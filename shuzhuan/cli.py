"""The ``shuzhuan`` command. Honours DATABASE_URL and the other SHUZHUAN_* settings.

Every error is one clear line on stderr and a non-zero exit; set SHUZHUAN_DEBUG=1 to see a
traceback instead.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="数转 shuzhuan — 中小企业数字化转型政策与资金管理系统",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
demo_app = typer.Typer(help="演示数据 / demo data", no_args_is_help=True)
ent_app = typer.Typer(help="企业库 / enterprise registry", no_args_is_help=True)
users_app = typer.Typer(help="用户 / accounts", no_args_is_help=True)
audit_app = typer.Typer(help="审计 / audit trail", no_args_is_help=True)
policy_app = typer.Typer(help="政策计算 / policy rulebook and calculator", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
app.add_typer(ent_app, name="enterprises")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(policy_app, name="policy")


class CliError(Exception):
    """A refusal to report as one line."""


class InputError(CliError):
    """Bad input (exit status 2), the message naming the field."""


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.django.base")
    import django

    django.setup()


def _err(message: str) -> None:
    typer.echo(f"错误 error: {message}", err=True)


@app.command()
def migrate() -> None:
    """创建或升级数据库结构 / apply database migrations."""
    _setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="listen address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="listen port")] = 8000,
    threads: Annotated[int, typer.Option(help="worker threads")] = 8,
) -> None:
    """启动网页服务 / serve the web application (waitress, static files by whitenoise)."""
    _setup()
    from django.core.management import call_command
    from waitress import serve as waitress_serve

    call_command("collectstatic", interactive=False, verbosity=0)
    from config.wsgi import application  # after collectstatic: whitenoise indexes the files at start

    typer.echo(f"数转 shuzhuan 已启动：http://{host}:{port}/  (Ctrl+C 停止)")
    waitress_serve(application, host=host, port=port, threads=threads)


@demo_app.command("load")
def demo_load(
    size: Annotated[int, typer.Option(help="number of demo enterprises")] = 2000,
    seed: Annotated[int, typer.Option(help="random seed")] = 20250630,
) -> None:
    """载入演示数据并列出演示账号 / load demo data and print the demo accounts."""
    _setup()
    from shuzhuan.demo import DEMO_PASSWORD
    from shuzhuan.demo import demo_load as load

    if size < 10 or size > 200_000:
        raise CliError("--size must be between 10 and 200000")
    report, accounts = load(size=size, seed=seed)
    typer.echo(
        f"演示企业：新增 {report.imported}，更新 {report.updated}，无变化 {report.unchanged}，拒绝 {len(report.rejected)}"
    )
    typer.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for a in accounts:
        typer.echo(f"  {a.username:<16} | {a.role} | {a.scope}")


def _progress_printer(enabled: bool) -> Any:
    if not enabled:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("读取行"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=None,
        transient=True,
    )
    return progress


@ent_app.command("import")
def enterprises_import(
    file: Annotated[Path, typer.Argument(help=".xlsx or .csv file")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="report only, write nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """导入企业名单 / import enterprises from the bureau's spreadsheet (upsert by USCC)."""
    if not file.exists() or not file.is_file():
        raise CliError(f"file not found: {file}")
    _setup()
    from shuzhuan.enterprises.imports import enterprise_import

    show_progress = not as_json and sys.stderr.isatty()
    progress = _progress_printer(show_progress)
    callback = None
    if progress is not None:
        progress.start()
        task = progress.add_task("import", total=None)

        def callback(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

    try:
        report = enterprise_import(
            acting_user=None, path=file, filename=file.name, dry_run=dry_run, progress=callback
        )
    finally:
        if progress is not None:
            progress.stop()
    if as_json:
        data = report.as_dict()
        out = {
            "imported": data["imported"],
            "updated": data["updated"],
            "rejected": data["rejected"],
            "unchanged": data["unchanged"],
            "rows": data["rows"],
            "dry_run": data["dry_run"],
        }
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    prefix = "试导入（未写入）" if dry_run else "导入完成"
    typer.echo(
        f"{prefix}：读取 {report.rows} 行，新增 {report.imported}，更新 {report.updated}，"
        f"无变化 {report.unchanged}，拒绝 {len(report.rejected)}"
    )
    for r in report.rejected:
        typer.echo(f"  第{r.row}行：{r.reason}")


@ent_app.command("export")
def enterprises_export(
    file: Annotated[Path, typer.Argument(help="target .xlsx file")],
    town: Annotated[list[str] | None, typer.Option(help="only these town codes (repeatable)")] = None,
) -> None:
    """导出企业名单为 .xlsx / export the registry to .xlsx (same columns as the import)."""
    if file.suffix.lower() != ".xlsx":
        raise CliError("export file must end in .xlsx")
    if not file.parent.exists():
        raise CliError(f"directory does not exist: {file.parent}")
    _setup()
    from shuzhuan.enterprises.imports import enterprise_export_xlsx
    from shuzhuan.enterprises.models import Enterprise, Region

    qs = Enterprise.objects.all()
    if town:
        known = set(
            Region.objects.filter(code__in=town, level=Region.Level.TOWN).values_list("code", flat=True)
        )
        unknown = sorted(set(town) - known)
        if unknown:
            raise CliError(f"unknown town code(s): {', '.join(unknown)}")
        qs = qs.filter(town__code__in=town)
    tmp = file.with_name(file.name + ".part")
    count = enterprise_export_xlsx(qs, tmp)
    tmp.replace(file)
    typer.echo(f"已导出 {count} 家企业到 {file}")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[
        str,
        typer.Option(help="bureau_officer | town_officer | enterprise | expert | service_provider | auditor"),
    ],
    region: Annotated[
        str | None, typer.Option(help="region code for officers, e.g. cixi or cixi-guanhaiwei")
    ] = None,
    enterprise: Annotated[
        str | None, typer.Option(help="USCC of the enterprise an enterprise user belongs to")
    ] = None,
    name: Annotated[str, typer.Option(help="display name")] = "",
    home_region: Annotated[
        str | None,
        typer.Option(help="experts and service providers: region code of the bureau that manages them"),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin")
    ] = False,
) -> None:
    """创建用户 / create an account (password prompted, or read from stdin)."""
    password = _read_password(password_stdin)
    _setup()
    from shuzhuan.accounts.services import user_create

    user = user_create(
        acting_user=None,
        username=username,
        password=password,
        role=role,
        display_name=name,
        region_code=region,
        enterprise_uscc=enterprise,
        home_region_code=home_region,
    )
    typer.echo(f"已创建用户 {user.username}（{user.role_label}）")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("密码 password: ")
    if password != getpass.getpass("再次输入 again: "):
        raise CliError("passwords do not match")
    return password


def _user(username: str) -> Any:
    from shuzhuan.accounts.selectors import user_get

    user = user_get(username=username)
    if user is None:
        raise CliError(f"no such user: {username}")
    return user


@users_app.command("list")
def users_list(
    role: Annotated[str | None, typer.Option(help="only this role, e.g. town_officer")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON array")] = False,
) -> None:
    """列出用户 / list accounts with their scope, status and lockout."""
    _setup()
    from shuzhuan.accounts.models import Role, User
    from shuzhuan.accounts.selectors import UserFilter, user_filter
    from shuzhuan.accounts.services import user_admin_summary

    if role is not None and role not in Role.values:
        raise CliError(f"unknown role: {role} (choose from {', '.join(Role.values)})")
    users = user_filter(
        User.objects.select_related("region", "enterprise", "enterprise__town", "home_region"),
        UserFilter(role=role or ""),
    )
    rows = [user_admin_summary(u, is_locked=u.is_locked) for u in users]  # type: ignore[attr-defined]
    if as_json:
        from django.core.serializers.json import DjangoJSONEncoder

        typer.echo(json.dumps(rows, ensure_ascii=False, cls=DjangoJSONEncoder))
        return
    for r in rows:
        scope = r["enterprise_name"] or r["scope_region_name"] or "—"
        status = "停用" if not r["is_active"] else ("锁定" if r["is_locked"] else "正常")
        typer.echo(
            f"{r['username']:<20} {r['role_label']:<10} {status:<4} {r['display_name'] or '—'} · {scope}"
        )
    typer.echo(f"共 {len(rows)} 个用户", err=True)


@users_app.command("set-password")
def users_set_password(
    username: Annotated[str, typer.Argument(help="login name")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin")
    ] = False,
) -> None:
    """重置用户密码 / set an account's password (validated like the pages)."""
    password = _read_password(password_stdin)
    _setup()
    from shuzhuan.accounts.services import user_set_password

    user = _user(username)
    user_set_password(acting_user=None, user=user, password=password)
    typer.echo(f"已重置用户 {user.username} 的密码")


@users_app.command("deactivate")
def users_deactivate(username: Annotated[str, typer.Argument(help="login name")]) -> None:
    """停用用户（并吊销其 API 令牌）/ deactivate an account and revoke its API tokens."""
    _setup()
    from shuzhuan.accounts.services import user_deactivate

    user = user_deactivate(acting_user=None, user=_user(username))
    typer.echo(f"已停用用户 {user.username}")


@users_app.command("activate")
def users_activate(username: Annotated[str, typer.Argument(help="login name")]) -> None:
    """重新启用用户 / re-activate an account."""
    _setup()
    from shuzhuan.accounts.services import user_activate

    user = user_activate(acting_user=None, user=_user(username))
    typer.echo(f"已启用用户 {user.username}")


@users_app.command("unlock")
def users_unlock(username: Annotated[str, typer.Argument(help="login name")]) -> None:
    """解除登录锁定 / clear an account's failed logins (ends a lockout)."""
    _setup()
    from shuzhuan.accounts.services import user_unlock

    user = _user(username)
    cleared = user_unlock(acting_user=None, user=user)
    typer.echo(f"已解除用户 {user.username} 的登录锁定（清除 {cleared} 条失败记录）")


@users_app.command("token")
def users_token(
    username: Annotated[str, typer.Argument(help="login name")],
    name: Annotated[str, typer.Option(help="what the token is for")] = "cli",
) -> None:
    """为用户签发 API 令牌（只显示一次）/ issue an API token (shown once)."""
    _setup()
    from shuzhuan.accounts.models import User
    from shuzhuan.accounts.services import api_token_create

    user = User.objects.filter(username=username).first()
    if user is None:
        raise CliError(f"no such user: {username}")
    token, raw = api_token_create(acting_user=None, user=user, name=name)
    typer.echo(raw)
    typer.echo(f"有效期至 {token.expires_at:%Y-%m-%d}", err=True)


@audit_app.command("verify")
def audit_verify() -> None:
    """校验审计链 / verify the hash-chained audit trail."""
    _setup()
    from shuzhuan.audit.services import audit_verify as verify

    result = verify()
    if not result.ok:
        raise CliError(f"audit chain broken at entry #{result.first_bad_seq}: {result.problem}")
    typer.echo(f"审计链完整：{result.checked} 条记录 / audit chain intact: {result.checked} entries")


@policy_app.command("calc")
def policy_calc_cmd(
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="one JSON case per line in, one result per line out")
    ] = False,
) -> None:
    """政策计算器：从标准输入读取一个 JSON 案例，输出 JSON / the calculator: one JSON case on stdin → JSON."""
    # The published editions in the database (DATABASE_URL); a database never migrated (no
    # editions table) falls back to the package files (shuzhuan/policies/selectors.py).
    _setup()
    from decimal import Decimal

    from shuzhuan.core.errors import ApplicationError
    from shuzhuan.policies.calc import policy_calc

    def one(text: str, where: str) -> dict[str, Any]:
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}input: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        try:
            return policy_calc(data=data)
        except ApplicationError as exc:
            raise InputError(f"{where}{exc}") from None

    if not jsonl:
        typer.echo(json.dumps(one(sys.stdin.read(), ""), ensure_ascii=False, indent=2))
        return
    for number, line in enumerate(sys.stdin, 1):
        if line.strip():
            typer.echo(json.dumps(one(line, f"line {number}: "), ensure_ascii=False))


@policy_app.command("docs")
def policy_docs() -> None:
    """打印由规则库生成的 docs/policies.md / print docs/policies.md generated from the editions."""
    from shuzhuan.rules.docs import render_policies_md
    from shuzhuan.rules.loader import default_rulebook

    sys.stdout.write(render_policies_md(default_rulebook()))


def main(argv: list[str] | None = None) -> int:
    from shuzhuan.core.errors import ApplicationError

    try:
        app(args=argv, standalone_mode=False)
    except SystemExit as exc:  # typer/click exit codes (usage errors print their own message)
        return int(exc.code or 0) if isinstance(exc.code, int) else 1
    except InputError as exc:
        _err(str(exc))
        return 2
    except (CliError, ApplicationError) as exc:
        _err(str(exc))
        return 1
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except Exception as exc:
        import click

        if isinstance(exc, click.exceptions.Abort):
            _err("aborted")
            return 1
        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        if os.environ.get("SHUZHUAN_DEBUG", "").lower() in {"1", "true", "yes"}:
            raise
        _err(_describe(exc))
        return 1
    return 0


def _describe(exc: BaseException) -> str:
    from django.db import OperationalError, ProgrammingError

    if isinstance(exc, OperationalError | ProgrammingError):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"database error: {first} (is the database reachable and migrated? try `shuzhuan migrate`)"
    return f"{type(exc).__name__}: {exc} (set SHUZHUAN_DEBUG=1 for a traceback)"


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
