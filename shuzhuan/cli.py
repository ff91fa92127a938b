"""The ``shuzhuan`` command. Honours DATABASE_URL and the other SHUZHUAN_* settings.

Every error is one clear line on stderr and a non-zero exit; set SHUZHUAN_DEBUG=1 to see a
traceback instead.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Protocol, TypeVar

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
funds_app = typer.Typer(help="资金 / budgets, awards, disbursement and the ledger", no_args_is_help=True)
app.add_typer(funds_app, name="funds")
applications_app = typer.Typer(help="申报 / approval cycle, public-notice list", no_args_is_help=True)
app.add_typer(applications_app, name="applications")
match_app = typer.Typer(help="政策找人 / matching runs, push and 免申即享 auto-grants", no_args_is_help=True)
app.add_typer(match_app, name="match")
qa_app = typer.Typer(help="智能应答 / question-answering corpus", no_args_is_help=True)
app.add_typer(qa_app, name="qa")
cockpit_app = typer.Typer(help="统计驾驶舱 / cockpit: peer counties' figures for ranks", no_args_is_help=True)
app.add_typer(cockpit_app, name="cockpit")
report_app = typer.Typer(
    help="统计报告 / the programme's figures as Word, PDF and Excel files", no_args_is_help=True
)
app.add_typer(report_app, name="report")


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
    from shuzhuan.core.tasks import task_reap_orphans

    if reaped := task_reap_orphans():
        typer.echo(f"上次运行中断的后台任务 {reaped} 个已标记为失败（需重新发起）。")

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
    from shuzhuan.demo_programme import demo_programme_load

    programme = demo_programme_load(seed=seed)
    typer.echo(
        f"演示项目：{programme.batches} 个申报批次，{programme.applications} 项申报"
        + (f"（{programme.reason}）" if programme.skipped else "")
    )
    from shuzhuan.demo_activities import demo_activities_load

    typer.echo(demo_activities_load(seed=seed).line())
    from shuzhuan.matching.selectors import match_run_current
    from shuzhuan.matching.services import match_push, match_run

    if match_run_current() is None:
        run = match_run(acting_user=None)
        pushed = match_push(acting_user=None, run=run)
        typer.echo(f"政策找人：第 {run.version} 次匹配，{run.total} 条匹配，已推送 {pushed.sent} 条通知")
    from shuzhuan.demo_peers import demo_peers_load

    typer.echo(demo_peers_load().line())
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


@app.command("ask")
def ask_cmd(
    question: Annotated[str, typer.Argument(help="问题，如 “我投了80万做AI大模型项目能补多少”")],
    as_json: Annotated[bool, typer.Option("--json", help="print the answer as JSON")] = False,
) -> None:
    """智能应答：回答政策问题，附依据与计算金额 / answer a policy question with its sources and the
    amount computed by the policy engine."""
    _setup()
    from shuzhuan.qa.answer import qa_ask

    if not question.strip():
        raise InputError("question: 请输入问题")
    answer = qa_ask(question=question)
    if as_json:
        typer.echo(json.dumps(answer.as_dict(), ensure_ascii=False))
        return
    typer.echo(answer.answer)
    if answer.amount is not None:
        typer.echo(f"金额 amount：{answer.amount:.2f} 元")
    for c in answer.citations:
        typer.echo(f"依据 source：{c.document} — {c.passage}")
    typer.echo(f"置信度 confidence：{answer.confidence:.2f}")


@qa_app.command("ingest")
def qa_ingest_cmd(
    files: Annotated[list[Path], typer.Argument(help=".txt (UTF-8/GBK), .docx or .pdf files")],
    title: Annotated[str, typer.Option(help="title to use instead of the detected one")] = "",
) -> None:
    """导入政策文件、答复函、问答到智能应答语料 / add documents to the Q&A corpus (one line per
    file; a file ingested before is skipped; exit status 2 when any file is refused)."""
    _setup()
    from shuzhuan.core.errors import ApplicationError
    from shuzhuan.qa.services import qa_ingest

    refused = 0
    for file in files:
        try:
            result = qa_ingest(acting_user=None, path=file, title=title)
        except ApplicationError as exc:
            refused += 1
            _err(f"{file}: {exc.message}")
            continue
        doc = result.document
        name = f"{doc.title}（{doc.number}）" if doc.number else doc.title
        if result.created:
            typer.echo(f"已导入 ingested {file}: {name}，{result.passages} 段")
        else:
            typer.echo(f"已存在 unchanged {file}: {name}，{result.passages} 段（内容相同，未重复导入）")
    if refused:
        raise InputError(f"{refused} 个文件未导入 / {refused} of {len(files)} file(s) refused")


@cockpit_app.command("peers-import")
def cockpit_peers_import(
    file: Annotated[Path, typer.Argument(help=".xlsx: 指标代码 (or 指标), 年度, 比较范围, 地区, 数值")],
) -> None:
    """导入其他县（市、区）的公布数值（同级比较）/ import peer counties' figures (all rows or none;
    exit status 2 and one line per error on bad input)."""
    if not file.exists() or not file.is_file():
        raise InputError(f"file not found: {file}")
    _setup()
    from shuzhuan.cockpit.peers import peer_import
    from shuzhuan.core.errors import ApplicationError

    try:
        report = peer_import(acting_user=None, path=file, filename=file.name)
    except ApplicationError as exc:
        raise InputError(f"{file.name}: {exc.message}") from None
    if not report.ok:
        for line in report.error_lines():
            _err(line)
        raise InputError(f"{file.name}: {report.summary()}")
    typer.echo(f"{file.name}：{report.summary()}")


@cockpit_app.command("figure")
def cockpit_figure_cmd(
    keys: Annotated[
        list[str], typer.Argument(help="figure keys, e.g. paid.amount.new-it accepted.enterprises.pilot")
    ],
    start: Annotated[int | None, typer.Option("--from", help="first year, e.g. 2024 (required)")] = None,
    end: Annotated[int | None, typer.Option("--to", help="last year (default: --from)")] = None,
    region: Annotated[
        str | None, typer.Option(help="a region code, e.g. cixi-guanhaiwei (default: all)")
    ] = None,
    records: Annotated[
        bool, typer.Option("--records", help="also print the rows behind each figure")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines: one figure per line")] = False,
) -> None:
    """统计数字 / a cockpit figure by its key for a period, with its query in words (and its records)."""
    if start is None:
        raise InputError("--from: required, the first year (e.g. 2024)")
    end = start if end is None else end
    for option, year in (("--from", start), ("--to", end)):
        if not 2000 <= year <= 2100:
            raise InputError(f"{option}: must be between 2000 and 2100, not {year}")
    if start > end:
        raise InputError(f"--to: must not be before --from ({end} < {start})")
    _setup()
    from shuzhuan.cockpit.figures import FigureError, figure_records
    from shuzhuan.cockpit.tasks import report_scope_period
    from shuzhuan.core.errors import ApplicationError

    try:
        scope, period = report_scope_period(start=start, end=end, region_code=region and region.strip())
    except ApplicationError as exc:
        raise InputError(f"--region: {exc.message}" if exc.field == "region" else exc.message) from None
    for key in keys:
        try:
            table = figure_records(key, scope=scope, period=period)
        except FigureError as exc:
            raise InputError(f"{key}: {exc}") from None
        fig = table.figure
        if as_json:
            data = fig.as_dict()
            if records:
                data["records"] = [{k: str(v) for k, v in row.items()} for row in table.rows]
            typer.echo(json.dumps(data, ensure_ascii=False))
            continue
        exact = f"（{fig.value} 元）" if fig.is_money else ""
        typer.echo(f"{fig.label}：{fig.display}{exact}")
        typer.echo(f"  口径：{fig.query}")
        if records:
            typer.echo("  " + "\t".join(c.label for c in table.columns))
            for row in table.rows:
                typer.echo(
                    "  "
                    + "\t".join("" if row.get(c.key) is None else str(row.get(c.key)) for c in table.columns)
                )


@report_app.command("build")
def report_build_cmd(
    start: Annotated[int | None, typer.Option("--from", help="first year, e.g. 2024 (required)")] = None,
    end: Annotated[int | None, typer.Option("--to", help="last year, e.g. 2025 (default: --from)")] = None,
    region: Annotated[
        str | None, typer.Option(help="a region code, e.g. cixi-guanhaiwei (default: all)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="the folder to write the three files to (required)")
    ] = None,
) -> None:
    """统计报告 / the period's figures in officers' phrasing, each with a footnote naming its query:
    a Word document, a PDF and a workbook of the underlying tables."""
    if start is None:
        raise InputError("--from: required, the first year (e.g. 2024)")
    end = start if end is None else end
    for option, year in (("--from", start), ("--to", end)):
        if not 2000 <= year <= 2100:
            raise InputError(f"{option}: must be between 2000 and 2100, not {year}")
    if start > end:
        raise InputError(f"--to: must not be before --from ({end} < {start})")
    if out is None:
        raise InputError("--out: required, the folder to write the files to")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out: not a folder: {out}")
    if not out.exists() and not out.parent.is_dir():
        raise InputError(f"--out: parent folder does not exist: {out.parent}")
    _setup()
    from shuzhuan.cockpit.report import report_build, report_write
    from shuzhuan.cockpit.tasks import report_scope_period
    from shuzhuan.core.errors import ApplicationError

    try:
        scope, period = report_scope_period(start=start, end=end, region_code=region and region.strip())
    except ApplicationError as exc:
        raise InputError(f"--region: {exc.message}" if exc.field == "region" else exc.message) from None
    report = report_build(scope, period)
    paths = report_write(report, out)
    typer.echo(f"{report.title}：{len(report.footnotes)} 个统计数，已写入")
    for path in paths.values():
        typer.echo(f"  {path}")


@policy_app.command("docs")
def policy_docs() -> None:
    """打印由规则库生成的 docs/policies.md / print docs/policies.md generated from the editions."""
    from shuzhuan.rules.docs import render_policies_md
    from shuzhuan.rules.loader import default_rulebook

    sys.stdout.write(render_policies_md(default_rulebook()))


@policy_app.command("impact")
def policy_impact_cmd(
    edition: Annotated[str, typer.Option(help="the stored edition to start from, e.g. cixi-2025")],
    changes: Annotated[
        list[str] | None,
        typer.Option("--set", help="POLICY.STEP=VALUE, repeatable, e.g. cixi-2025-ai.cap=500000"),
    ] = None,
    against: Annotated[
        str | None,
        typer.Option(help="compare with this stored edition (e.g. a draft) instead; --set applies to it"),
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="only this region's subtree, e.g. cixi-guanhaiwei")
    ] = None,
    top: Annotated[int, typer.Option(help="list this many of the most changed projects")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """影响测算：参数变化对现有项目与企业的影响 / what-if: the budget change of parameter changes over the
    current projects and enterprises (per funding level, town, industry and policy)."""
    from shuzhuan.rules.parameters import ParameterError, parameter_assignment

    items = changes or []
    assignments = []
    for item in items:
        try:
            assignments.append(parameter_assignment(item))
        except ParameterError as exc:
            raise InputError(f"--set {item}: {exc.message}") from None
    if top < 0:
        raise InputError("--top: must not be negative")
    _setup()
    from shuzhuan.applications.selectors import project_population
    from shuzhuan.core.errors import ApplicationError
    from shuzhuan.enterprises.models import Region
    from shuzhuan.policies.models import PolicyEdition
    from shuzhuan.policies.selectors import edition_built, edition_reformed, edition_rulebook
    from shuzhuan.rules.impact import impact

    def stored(option: str, edition_id: str) -> PolicyEdition:
        found = PolicyEdition.objects.filter(edition_id=edition_id).first()
        if found is None:
            raise InputError(f"{option} {edition_id}: no such edition")
        return found

    base = stored("--edition", edition)
    source = stored("--against", against) if against else base
    try:
        reform, applied = edition_reformed(source, assignments)
    except ApplicationError as exc:
        index = exc.extra.get("index")
        item = f"--set {items[index]}" if isinstance(index, int) else "--set"
        raise InputError(f"{item}: {exc.message}") from None
    scope = None
    if region is not None:
        scope = Region.objects.filter(code=region).first()
        if scope is None:
            raise InputError(f"--region {region}: unknown region code")
    enterprises, projects = project_population(rulebook=edition_rulebook(), region=scope)
    report = impact(edition_built(base), reform, enterprises=enterprises, projects=projects, top=top)
    if as_json:
        data = {
            "region": region,
            "changes": [
                {
                    "policy": a.policy,
                    "step": a.step,
                    "unit": a.unit,
                    "before": str(a.before),
                    "after": str(a.after),
                }
                for a in applied
            ],
            **report.as_dict(),
        }
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for line in _impact_lines(report, applied, region=scope.name if scope else None):
        typer.echo(line)


def _cells(rows: list[list[str]], right: set[int]) -> list[str]:
    """Rows of cells as aligned text (CJK characters count two columns)."""
    import unicodedata

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    widths = [max(width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [
            " " * (w - width(c)) + c if i in right else c + " " * (w - width(c))
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    return lines


def _impact_lines(report: Any, applied: list[Any], *, region: str | None) -> list[str]:
    from shuzhuan.core.money import format_yuan
    from shuzhuan.rules.fields import FUNDING_LEVEL_LABELS

    def yuan(value: Any) -> str:
        return format_yuan(value)

    def signed(value: Any) -> str:
        return ("+" if value > 0 else "") + format_yuan(value)

    def number(value: Any, unit: str) -> str:
        return format_yuan(value) if unit == "yuan" else f"{value:f}"

    lines = [f"影响测算 impact: {report.base} → {report.reform}" + (f"（{region}）" if region else "")]
    for a in applied:
        lines.append(
            f"  改动 change: {a.policy}.{a.step} {number(a.before, a.unit)} → {number(a.after, a.unit)}"
        )
    lines.append(
        f"测算范围 population: {report.projects} 个项目 projects · {report.enterprises} 家企业 enterprises"
    )
    lines.append(
        f"上限变化的项目 projects changed: {report.projects_changed}"
        f"（增加 up {report.projects_up} · 减少 down {report.projects_down}）"
        f" · 受影响企业 enterprises affected: {report.enterprises_affected}"
        f" · 一次性奖励变化 rewards changed: {report.rewards_changed}"
    )
    lines.append("")
    lines.append("预算（元）budget (yuan)")
    head = ["", "变更前 before", "变更后 after", "变化 delta"]
    rows = [
        head,
        ["合计 total", yuan(report.budget.before), yuan(report.budget.after), signed(report.budget.delta)],
    ]
    for lv in report.by_level:
        label = f"{FUNDING_LEVEL_LABELS.get(lv.level, lv.level)} {lv.level}"
        rows.append([label, yuan(lv.budget.before), yuan(lv.budget.after), signed(lv.budget.delta)])
    lines += _cells(rows, right={1, 2, 3})
    for title, groups in (
        ("按镇（街道）by town", report.by_town),
        ("按行业 by industry", report.by_industry),
    ):
        lines += ["", title]
        rows = [["", "变更前 before", "变更后 after", "变化 delta", "变化项目 changed"]]
        rows += [
            [
                g.name or "（未登记）",
                yuan(g.budget.before),
                yuan(g.budget.after),
                signed(g.budget.delta),
                str(g.projects_changed),
            ]
            for g in groups
        ]
        lines += _cells(rows, right={1, 2, 3, 4}) if len(rows) > 1 else ["  （无 none）"]
    lines += ["", "按政策 by policy"]
    rows = [["", "可享受 eligible", "取用 chosen", "上限合计 ceilings before", "after"]]
    rows += [
        [
            f"{p.reform_policy or p.base_policy} {p.title}",
            f"{p.eligible_before} → {p.eligible_after}",
            f"{p.chosen_before} → {p.chosen_after}",
            yuan(p.ceiling_before),
            yuan(p.ceiling_after),
        ]
        for p in report.by_policy
    ]
    lines += _cells(rows, right={1, 2, 3, 4})
    lines += ["", f"变化最大的项目 top changes ({len(report.top)} / {report.projects_changed})"]
    if report.top:
        rows = [["项目 project", "企业 uscc", "镇 town", "变更前 before", "变更后 after", "变化 delta"]]
        rows += [
            [
                t.project_id,
                t.uscc or "",
                t.town or "",
                f"{yuan(t.ceiling_before)} {t.policy_before or '—'}",
                f"{yuan(t.ceiling_after)} {t.policy_after or '—'}",
                signed(t.delta),
            ]
            for t in report.top
        ]
        lines += _cells(rows, right={5})
    else:
        lines.append("  （无 none）")
    return lines


def _funds_input(exc: Any) -> InputError:
    """A service's refusal of an option's value, as exit-2 input error naming the option."""
    field = (exc.field or "input").replace("_", "-")
    return InputError(f"--{field}: {exc.message}")


def _year_option(year: int | None) -> int | None:
    if year is not None and not 2000 <= year <= 2100:
        raise InputError(f"--year: must be between 2000 and 2100, not {year}")
    return year


@funds_app.command("allocate")
def funds_allocate(
    level: Annotated[str, typer.Option(help="funding level: central | city | county")],
    programme: Annotated[str, typer.Option(help="policy family: pilot | new-it | ai | sample …")],
    year: Annotated[int, typer.Option(help="budget year, e.g. 2025")],
    amount: Annotated[str, typer.Option(help="yuan, e.g. 14230000 or 14,230,000.00")],
    reference: Annotated[str, typer.Option(help="the allocation document's number (文号)")],
    memo: Annotated[str, typer.Option(help="a note for the ledger")] = "",
) -> None:
    """登记资金下达 / record an allocation handed down by one funding level."""
    _setup()
    from shuzhuan.core.errors import ApplicationError
    from shuzhuan.funds.services import allocation_record

    try:
        entry = allocation_record(
            acting_user=None,
            level=level,
            programme=programme,
            year=year,
            amount=amount,
            reference=reference,
            memo=memo,
        )
    except ApplicationError as exc:
        raise _funds_input(exc) from None
    typer.echo(f"已登记下达：{entry.budget.name} {entry.amount:,.2f} 元（{entry.reference}）")


@funds_app.command("balances")
def funds_balances(
    year: Annotated[int | None, typer.Option(help="only this year")] = None,
    programme: Annotated[str | None, typer.Option(help="only this policy family")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON array")] = False,
) -> None:
    """资金余额 / per level, programme and year: allocated, committed, paid, outstanding, remaining."""
    _year_option(year)
    _setup()
    from shuzhuan.funds.selectors import budget_balances

    rows = budget_balances(year=year, programme=programme)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False))
        return
    header = ("年度", "资金项目", "层级", "下达", "已核定", "已支付", "待支付", "可用余额")
    typer.echo("  ".join(header))
    for r in rows:
        figures = (r.allocated, r.committed, r.paid, r.outstanding, r.remaining)
        typer.echo(
            f"{r.year}  {r.programme:<8} {r.level_label:<4} " + "  ".join(f"{v:>16,.2f}" for v in figures)
        )
    typer.echo(f"共 {len(rows)} 项预算", err=True)


@funds_app.command("disburse")
def funds_disburse(
    level: Annotated[str | None, typer.Option(help="only this level: central | city | county")] = None,
    batch: Annotated[str | None, typer.Option(help="only this batch (its code)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """兑现：支付所有兑现中申报的未付分担 / pay every unpaid share of the applications in
    disbursement. Each payment is its own transaction; safe to run again after an interruption."""
    _setup()
    from shuzhuan.applications.models import PolicyBatch
    from shuzhuan.core.errors import ApplicationError
    from shuzhuan.funds.services import DisbursementLine, disbursement_run

    if level is not None and level not in ("central", "city", "county"):
        raise InputError(f"--level: unknown funding level {level} (central | city | county)")
    chosen = None
    if batch is not None:
        chosen = PolicyBatch.objects.filter(code=batch.strip().lower()).first()
        if chosen is None:
            raise InputError(f"--batch: no such batch: {batch}")
    words = {"paid": "已支付", "skipped": "跳过", "failed": "失败"}

    def show(outcome: str, line: DisbursementLine) -> None:
        if not as_json:
            note = f" — {line.reason}" if line.reason else ""
            typer.echo(
                f"{words[outcome]} {line.application} {line.level:<7} {line.amount:>14,.2f} {line.reference}{note}"
            )

    try:
        report = disbursement_run(acting_user=None, level=level, batch=chosen, on_line=show)
    except ApplicationError as exc:
        raise _funds_input(exc) from None
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        typer.echo(
            f"兑现完成：支付 {len(report.paid)} 笔共 {report.paid_total:,.2f} 元，跳过 {len(report.skipped)}，"
            f"失败 {len(report.failed)}"
        )
    if report.failed:
        raise CliError(f"{len(report.failed)} payment(s) failed; see the report above")


@funds_app.command("inspect")
def funds_inspect(
    year: Annotated[int | None, typer.Option(help="only this year")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the findings as JSON")] = False,
) -> None:
    """资金使用情况自查 / fund-use self-inspection: duplicate invoices, amounts above ceiling or
    approval, awards to deregistered enterprises, one-time rewards paid twice, stacking."""
    _year_option(year)
    _setup()
    from shuzhuan.funds.inspection import self_inspection

    findings = self_inspection(year=year)
    if as_json:
        typer.echo(
            json.dumps(
                {"count": len(findings), "findings": [f.as_dict() for f in findings]}, ensure_ascii=False
            )
        )
        return
    for f in findings:
        where = " ".join(x for x in (f.application, f.level) if x)
        typer.echo(f"[{f.code}] {where}：{f.message}" if where else f"[{f.code}] {f.message}")
    typer.echo(f"自查完成：发现 {len(findings)} 个问题")


def _batch_option(code: str | None, *, required: bool = True) -> Any:
    """The batch named by ``--batch`` (its code), or an input error naming the option."""
    from shuzhuan.applications.models import PolicyBatch

    if not code or not code.strip():
        if required:
            raise InputError("--batch: required, the batch's code (e.g. 2025-digital)")
        return None
    found = PolicyBatch.objects.filter(code=code.strip().lower()).first()
    if found is None:
        raise InputError(f"--batch: no such batch: {code}")
    return found


def _out_option(out: Path | None, suffixes: tuple[str, ...]) -> tuple[Path, str]:
    """``--out``: a file with one of ``suffixes`` in a directory that exists."""
    if out is None:
        raise InputError(f"--out: required, the file to write ({' or '.join(suffixes)})")
    suffix = out.suffix.lower()
    if suffix not in suffixes:
        raise InputError(f"--out: must end in {' or '.join(suffixes)}, not {out.name}")
    if not out.parent.is_dir():
        raise InputError(f"--out: directory does not exist: {out.parent}")
    if out.is_dir():
        raise InputError(f"--out: is a directory: {out}")
    return out, suffix


def _days(value: Any) -> str:
    return "—" if value is None else f"{value}"


@applications_app.command("cycle")
def applications_cycle(
    batch: Annotated[str | None, typer.Option(help="the batch's code (required)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as JSON")] = False,
) -> None:
    """审批周期 / median and 90th-percentile days per stage, government time and end to end."""
    _setup()
    from shuzhuan.applications.cycle import approval_cycle

    report = approval_cycle(batch=_batch_option(batch))
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    typer.echo(f"{report.batch.name}（{report.batch.code}）审批周期，单位：天")
    rows = [["阶段 stage", "件数 n", "中位数 median", "P90"]]
    rows += [
        [f"{s.label} {s.code}", str(s.count), _days(s.median_days), _days(s.p90_days)]
        for s in (*report.stages, *report.totals)
    ]
    for line in _cells(rows, right={1, 2, 3}):
        typer.echo(line)


@applications_app.command("notice-list")
def applications_notice_list(
    batch: Annotated[str | None, typer.Option(help="the batch's code (required)")] = None,
    out: Annotated[Path | None, typer.Option(help="the file to write: .xlsx or .pdf (required)")] = None,
) -> None:
    """公示名单 / the batch's applications under public notice, as a workbook or a printable PDF."""
    target, suffix = _out_option(out, (".xlsx", ".pdf"))
    _setup()
    from shuzhuan.applications.exports import public_notice_pdf, public_notice_rows, public_notice_xlsx

    chosen = _batch_option(batch)
    data = public_notice_xlsx(batch=chosen) if suffix == ".xlsx" else public_notice_pdf(batch=chosen)
    target.write_bytes(data)
    typer.echo(f"已导出公示名单：{len(public_notice_rows(batch=chosen))} 个项目 → {target}")


@funds_app.command("export")
def funds_export(
    level: Annotated[str | None, typer.Option(help="central | city | county (required)")] = None,
    batch: Annotated[str | None, typer.Option(help="only this batch (its code)")] = None,
    year: Annotated[int | None, typer.Option(help="only this budget year")] = None,
    out: Annotated[Path | None, typer.Option(help="the .xlsx file to write (required)")] = None,
) -> None:
    """兑现清单 / one funding level's shares due or paid (兑现中 and closed), as the workbook
    handed to finance; by batch and/or year."""
    if level is None:
        raise InputError("--level: required (central | city | county)")
    if level.strip().lower() not in ("central", "city", "county"):
        raise InputError(f"--level: unknown funding level {level} (central | city | county)")
    _year_option(year)
    target, _ = _out_option(out, (".xlsx",))
    _setup()
    from shuzhuan.funds.exports import disbursement_list, disbursement_workbook

    chosen = _batch_option(batch, required=False)
    found = disbursement_list(level=level, batch=chosen, year=year)
    target.write_bytes(disbursement_workbook(found))
    typer.echo(
        f"已导出{found.title}：{len(found.rows)} 笔，本级分担 {found.share_total:,.2f} 元"
        f"（已支付 {found.paid_total:,.2f}，待支付 {found.due_total:,.2f}）→ {target}"
    )


# --- 政策找人 (shuzhuan.matching) -------------------------------------------------------------


def _match_input(exc: Any) -> CliError:
    """A refusal naming an option (engine, on) is bad input (exit 2); others exit 1."""
    if exc.field in ("engine", "on"):
        return InputError(f"--{exc.field}: {exc.message}")
    return CliError(exc.message)


def _match_progress(enabled: bool) -> tuple[Any, Any]:
    """A rich progress display with one bar per phase (on stderr), and its callback."""
    if not enabled:
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from shuzhuan.matching.models import MatchRun

    progress = Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    labels = dict(MatchRun.Phase.choices)
    tasks: dict[str, Any] = {}

    def callback(phase: str, done: int, total: int | None) -> None:
        for earlier, task in tasks.items():  # a later phase started: the earlier ones are done
            if earlier != phase:
                shown = progress.tasks[task]
                progress.update(task, total=shown.completed or 1, completed=shown.completed or 1)
        if phase not in tasks:
            tasks[phase] = progress.add_task(str(labels.get(phase, phase)), total=total)
        progress.update(tasks[phase], completed=done, total=total)

    return progress, callback


@match_app.command("run")
def match_run_cmd(
    engine: Annotated[str, typer.Option(help="duckdb (in-process, default) | spark")] = "duckdb",
    on: Annotated[str | None, typer.Option(help="match as on this date, YYYY-MM-DD (default: today)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the run as JSON")] = False,
) -> None:
    """政策匹配：快照企业库与项目库，逐项匹配在行政策 / match every enterprise against every policy
    of the edition in force: snapshot, match, store, diff with the last run."""
    import datetime as dt

    engine = engine.strip().lower()
    if engine not in ("duckdb", "spark"):
        raise InputError(f"--engine: unknown engine {engine} (duckdb | spark)")
    day = None
    if on is not None:
        try:
            day = dt.date.fromisoformat(on.strip())
        except ValueError:
            raise InputError(f"--on: not a date YYYY-MM-DD: {on}") from None
    _setup()
    from shuzhuan.core.errors import ApplicationError
    from shuzhuan.matching.services import match_run

    progress, callback = _match_progress(not as_json and sys.stderr.isatty())
    if progress is not None:
        progress.start()
    try:
        run = match_run(acting_user=None, engine=engine, on=day, progress=callback)
    except ApplicationError as exc:
        raise _match_input(exc) from None
    finally:
        if progress is not None:
            progress.stop()
    data = {
        "version": run.version,
        "status": run.status,
        "engine": run.engine,
        "on": run.on.isoformat(),
        "edition": run.edition_id,
        "enterprises": run.enterprises,
        "projects": run.projects,
        "counts": run.counts,
        "new": run.new_count,
        "changed": run.changed_count,
        "gone": run.gone_count,
        "timings": run.timings,
    }
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    c = run.counts
    typer.echo(
        f"第 {run.version} 次匹配完成（{run.engine}，{run.on.isoformat()}，{run.edition_id}）："
        f"{run.enterprises} 家企业、{run.projects} 个项目"
    )
    typer.echo(
        f"  符合条件 eligible {c.get('eligible', 0)} · 可申报 prospect {c.get('prospect', 0)} · "
        f"差一点 near miss {c.get('near_miss', 0)}"
    )
    typer.echo(
        f"  较上次 vs last run：新增 new {run.new_count} · 变化 changed {run.changed_count} · 不再匹配 gone {run.gone_count}"
    )
    typer.echo("  耗时 seconds：" + " · ".join(f"{k} {v:.2f}" for k, v in run.timings.items()))


class _Report(Protocol):
    def as_dict(self) -> Mapping[str, object]: ...


_R = TypeVar("_R", bound=_Report)


def _match_report(act: Callable[[], _R], *, as_json: bool) -> _R | None:
    """``act()``, a matching service made by the system: a refusal is an error (``_match_input``);
    with ``--json`` the report is printed here and None returned, else the report, to be shown."""
    from shuzhuan.core.errors import ApplicationError

    try:
        report = act()
    except ApplicationError as exc:
        raise _match_input(exc) from None
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return None
    return report


@match_app.command("push")
def match_push_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """推送：把当前匹配的新结果发给企业（同一结果只推一次，尊重退订与每日上限）/ push the current
    run's new matches as notices (never twice; opted-out enterprises skipped; daily cap)."""
    _setup()
    from shuzhuan.matching.services import match_push

    report = _match_report(lambda: match_push(acting_user=None), as_json=as_json)
    if report is None:
        return
    typer.echo(
        f"推送完成（第 {report.run} 次匹配）：{report.sent} 条通知、{report.enterprises} 家企业；"
        f"每日上限待次日推送 {report.waiting} 条；已退订 {report.opted_out} 条未推送"
    )


@match_app.command("auto-grant")
def match_auto_grant_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """免申即享：为当前匹配中符合免申即享政策的企业自动受理，待核定金额 / create the auto-grant
    awards of the current run (accepted, waiting for an officer's amount approval)."""
    _setup()
    from shuzhuan.matching.services import match_auto_grant

    report = _match_report(lambda: match_auto_grant(acting_user=None), as_json=as_json)
    if report is None:
        return
    typer.echo(
        f"免申即享（第 {report.run} 次匹配）：新受理 {len(report.granted)} 项，"
        f"已有申报或已获奖励 {report.already} 家，非存续 {report.inactive} 家"
    )
    for number in report.granted:
        typer.echo(f"  {number}")


@match_app.command("runs")
def match_runs_cmd(
    limit: Annotated[int, typer.Option(help="how many of the latest runs")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON array")] = False,
) -> None:
    """匹配运行记录 / the latest runs: status, counts, changes and the time of each phase."""
    if limit < 1:
        raise InputError("--limit: must be at least 1")
    _setup()
    from shuzhuan.matching.selectors import match_run_list

    rows = [
        {
            "version": r.version,
            "status": r.status,
            "engine": r.engine,
            "on": r.on.isoformat(),
            "edition": r.edition_id,
            "counts": r.counts,
            "new": r.new_count,
            "changed": r.changed_count,
            "gone": r.gone_count,
            "timings": r.timings,
            "error": r.error,
        }
        for r in match_run_list(limit=limit)
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        total = sum(r["counts"].values()) if r["counts"] else 0
        line = (
            f"#{r['version']:<4} {r['status']:<9} {r['engine']:<6} {r['on']} {r['edition']:<10} 匹配 {total}"
        )
        if r["status"] == "succeeded":
            line += f"（新增 {r['new']} · 变化 {r['changed']} · 不再匹配 {r['gone']}）"
        if r["error"]:
            line += f" — {r['error']}"
        typer.echo(line)


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
        # typer ≥ 0.29 vendors click (typer._click): its usage errors are TyperExceptions with
        # show() and exit_code (2), and there is no ``click`` module to import.
        if isinstance(exc, typer.Abort):
            _err("aborted")
            return 1
        show = getattr(exc, "show", None)
        if isinstance(exc, typer.TyperException) and callable(show):
            show()
            return int(getattr(exc, "exit_code", 1))
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
