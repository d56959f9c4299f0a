"""The ``gongzhi`` command line."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click
import orjson

from .config import Config
from .errors import DefinitionInvalid, GongzhiError

__all__ = ["main"]


def _engine(ctx: click.Context):  # type: ignore[no-untyped-def]
    from .runtime.engine import Engine

    engine = Engine(ctx.obj["config"])
    ctx.call_on_close(engine.close)
    return engine


def _fail(message: str, code: int = 1) -> None:
    click.echo(message, err=True)
    sys.exit(code)


# HS256 keys shorter than the hash (RFC 7518 section 3.2) can be guessed offline from one token.
MIN_SECRET_BYTES = 32
_MAKE_SECRET = "export GONGZHI_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"


def _check_secret(config: Config, dev: bool, action: str) -> None:
    """Refuse the development secret or a short one unless ``--dev``; with ``--dev``, warn on stderr."""
    if config.uses_default_secret:
        problem = "GONGZHI_SECRET_KEY 未设置，仍是内置的开发密钥 (the built-in development secret)"
    elif len(config.secret_key.encode()) < MIN_SECRET_BYTES:
        problem = (f"GONGZHI_SECRET_KEY 太短：{len(config.secret_key.encode())} 字节，至少需要 {MIN_SECRET_BYTES} 字节 "
                   f"(secret key shorter than {MIN_SECRET_BYTES} bytes)")
    else:
        return
    if not dev:
        _fail(f"拒绝{action}：{problem}。请生成一个随机密钥：{_MAKE_SECRET}；只在本机试用时可加 --dev。")
    click.echo(f"警告：--dev 模式，{problem}；用它签发的令牌任何人都能伪造，切勿用于生产 (development only)", err=True)


@click.group()
@click.option("--database-url", envvar="GONGZHI_DATABASE_URL", help="SQLAlchemy URL (default: SQLite in ./instance)")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """共治 Gongzhi — community-governance workflow engine."""
    ctx.obj = {"config": Config.load({"database_url": database_url} if database_url else None)}


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Check BPMN, DMN and form files (default: bundled and configured folders)."""
    engine = _engine(ctx)
    try:
        problems = engine.validate(list(paths) or None)
    except DefinitionInvalid as exc:
        problems = exc.problems
    for problem in problems:
        click.echo(str(problem))
    if problems:
        _fail(f"{len(problems)} 个问题 (problems)")
    click.echo("定义文件检查通过 (all definitions valid)")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def deploy(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Validate and deploy definitions as new versions (unchanged ones are skipped)."""
    engine = _engine(ctx)
    engine.upgrade_db()
    try:
        result = engine.deploy(list(paths) or None)
    except DefinitionInvalid as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        _fail(f"部署失败：{len(exc.problems)} 个问题")
    for item in result.created:
        click.echo(f"新版本  {item['kind']:8} {item['key']} v{item['version']}")
    for item in result.unchanged:
        click.echo(f"未变化  {item['kind']:8} {item['key']} v{item['version']}")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--decision", "decision", required=True, help="decision id or name")
@click.option("--input", "input_", required=True, help="a JSON object, or - to read one JSON object per line")
@click.option("--explain", is_flag=True, help="after each answer, explain it in Chinese (rules, context entries, BKM calls)")
def decide(file: Path, decision: str, input_: str, explain: bool) -> None:
    """Evaluate a DMN decision (or decision service): prints {"result": ..., "matched_rules": [...]}."""
    from .rules import load_dmn

    try:
        model = load_dmn(file)
        if model.find_service(decision) is None:
            model.find(decision)
    except GongzhiError as exc:
        _fail(f"错误：{exc}")
    lines = (line for line in sys.stdin if line.strip()) if input_ == "-" else iter([input_])
    failed = 0
    for line in lines:
        try:
            inputs = orjson.loads(line)
            if not isinstance(inputs, dict):
                raise ValueError("输入必须是 JSON 对象 (an object)")
            outcome = model.evaluate(decision, inputs)
            answer = outcome.as_dict()
            out = {"result": answer["result"], "matched_rules": answer["matched_rules"]}
        except (GongzhiError, ValueError) as exc:
            failed += 1
            out, outcome = {"error": str(exc)}, None
        click.echo(orjson.dumps(out).decode())
        if explain and outcome is not None:
            click.echo("\n".join(["解释：", *("  " + line for line in outcome.explain())]))
    if failed:
        sys.exit(1)


@main.command()
@click.option("--concurrency", default=1, type=click.IntRange(1, 64), help="jobs run at the same time")
@click.option("--once", is_flag=True, help="run the jobs due now, then exit")
@click.pass_context
def worker(ctx: click.Context, concurrency: int, once: bool) -> None:
    """Run timers, asynchronous service tasks and outbox deliveries."""
    import signal

    from .worker import Worker

    engine = _engine(ctx)
    engine.upgrade_db()
    runner = Worker(engine, concurrency)
    if once:
        count = runner.run_once()
        from .status import JobOutcome

        counts = "，".join(f"{JobOutcome(k).label} {n}" for k, n in sorted(runner.handled.items()))
        click.echo(f"已处理 {count} 个作业" + (f"（{counts}）" if counts else ""))
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: runner.stop())
    click.echo(f"后台作业进程 {runner.id} 已启动（并发 {concurrency}），Ctrl+C 退出")
    runner.run_forever()
    click.echo("已停止 (stopped)")


@main.command()
@click.argument("process_key")
@click.option("--to", "to_version", required=True, type=click.IntRange(1, 2**31 - 1), help="target version")
@click.option("--instance", "instance_ids", multiple=True, help="only this case (repeat for several)")
@click.option("--map", "mappings", multiple=True, help="a renamed element: OLD=NEW (repeat for several)")
@click.option("--apply", is_flag=True, help="migrate; without it, only say what would happen")
@click.pass_context
def migrate(ctx: click.Context, process_key: str, to_version: int, instance_ids: tuple[str, ...],
            mappings: tuple[str, ...], apply: bool) -> None:
    """Move running cases of PROCESS_KEY to another version (a dry run unless --apply)."""
    from .security.identity import SYSTEM

    bad = [m for m in mappings if m.count("=") != 1]
    if bad:
        _fail(f"--map 应写成 原编号=新编号：{', '.join(bad)}", 2)
    mapping = dict(m.split("=", 1) for m in mappings)
    engine = _engine(ctx)
    engine.upgrade_db()
    try:
        result = engine.migrate(process_key, to_version, SYSTEM, instance_ids=list(instance_ids) or None,
                                mapping=mapping, dry_run=not apply)
    except GongzhiError as exc:
        _fail(str(exc))
    for item in result.instances:
        state = "已迁移" if item.migrated else ("可以迁移" if item.ok else "不能迁移")
        where = "、".join(item.live) or "（无待办）"
        click.echo(f"{item.instance_id}  第 {item.from_version} 版 → 第 {item.to_version} 版  {state}  当前：{where}")
        for reason in item.refusals:
            click.echo(f"    {reason}")
    summary = result.as_dict()
    click.echo(f"共 {len(result.instances)} 个案件：可以迁移 {summary['movable']}，不能迁移 {summary['refused']}"
               + ("" if apply else "（预演，未改动；加 --apply 执行）"))


@main.command()
@click.pass_context
def plugins(ctx: click.Context) -> None:
    """List the loaded plugins, their versions and what each registers."""
    from .hooks.manager import describe_plugins

    for info in describe_plugins(_engine(ctx).pm):
        click.echo(f"{info.name}  {info.version or '（版本未知）'}")
        for kind, names in info.registers.items():
            if names:
                click.echo(f"    {kind}: {', '.join(names)}")
        if info.hooks:
            click.echo(f"    hooks: {', '.join(info.hooks)}")


@main.command()
def demo() -> None:
    """Run each bundled flow end to end on a temporary database and tell what happened."""
    from .demo import run_demos

    click.echo("共治 Gongzhi 演示：每个流程都在临时 SQLite 数据库上真实运行，以下叙述读自审计记录。")
    if run_demos(click.echo) == 0:
        _fail("没有已注册的演示 (no demos registered)")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create or upgrade the schema with the bundled migrations."""
    engine = _engine(ctx)
    engine.upgrade_db()
    click.echo(f"数据库已升级到最新版本：{engine.db.writer.url.render_as_string(hide_password=True)}")


@main.command()
@click.pass_context
def retention(ctx: click.Context) -> None:
    """Pseudonymise (or erase) the personal data of cases closed longer than RETENTION_DAYS."""
    from .runtime.retention import apply_retention

    engine = _engine(ctx)
    total = 0
    while True:
        result = apply_retention(engine)
        total += result.instances
        if result.instances == 0:
            break
    click.echo(f"已处理 {total} 个过期案件的个人信息（{engine.config.retention_mode}）(cases past retention)")


@main.group()
def audit() -> None:
    """The tamper-evident audit trail."""


@audit.command("verify")
@click.option("--checkpoints", is_flag=True,
              help="also compare with the signed checkpoints kept outside the database")
@click.pass_context
def audit_verify(ctx: click.Context, checkpoints: bool) -> None:
    """Recompute every hash chain and keyed hash; exit 1 if anything was changed or removed."""
    try:
        report = _engine(ctx).verify_audit(checkpoints=checkpoints)
    except GongzhiError as exc:
        _fail(f"错误：{exc}")
    for problem in report.problems:
        click.echo(problem)
    if not report.ok:
        _fail(f"审计链被篡改：{len(report.problems)} 处问题 (audit chain broken)")
    against = f"，与 {report.checkpoints} 个检查点一致" if checkpoints else ""
    click.echo(f"审计链完好：{report.chains} 条链，{report.events} 个事件{against} (audit chain intact)")


@audit.command("checkpoint")
@click.pass_context
def audit_checkpoint(ctx: click.Context) -> None:
    """Sign the heads of the chains that changed since the last checkpoint and write them outside the database."""
    from .runtime import audit as trail

    engine = _engine(ctx)
    try:
        checkpoint = trail.take_checkpoint(engine)
        sink = trail.sink_for(engine).name
    except GongzhiError as exc:
        _fail(f"错误：{exc}")
    if checkpoint is None:
        click.echo("自上个检查点以来没有新的审计事件，未写入检查点 (nothing new since the last checkpoint)")
        return
    click.echo(f"已写入审计检查点 #{checkpoint['seq']}：{checkpoint['chains']} 条链，"
               f"默克尔根 {checkpoint['root'][:16]}… (checkpoint written to sink '{sink}')")


@main.command()
@click.option("--sub", default="dev", help="user id")
@click.option("--name", default="", help="display name")
@click.option("--groups", default="", help="comma-separated groups")
@click.option("--region", default="", help="region path, e.g. 110105/001; several, comma-separated, for a reader of many")
@click.option("--permissions", default="", help="comma-separated permissions, e.g. pii")
@click.option("--ttl", default=8 * 3600, type=click.IntRange(min=1), help="seconds until expiry")
@click.option("--admin", is_flag=True, help="group admin over the whole tree")
@click.option("--dev", is_flag=True, help="allow the development secret or one under 32 bytes (never in production)")
@click.pass_context
def token(ctx: click.Context, sub: str, name: str, groups: str, region: str, permissions: str, ttl: int, admin: bool,
          dev: bool) -> None:
    """Mint a token signed with GONGZHI_SECRET_KEY (the development secret only with --dev)."""
    from .security.identity import normalize_region
    from .security.tokens import mint, mint_admin

    config: Config = ctx.obj["config"]
    _check_secret(config, dev, "签发令牌")
    secret = config.secret_key
    if admin:
        click.echo(mint_admin(secret, timedelta(seconds=ttl)))
        return
    split = lambda s: [p.strip() for p in s.split(",") if p.strip()]  # noqa: E731
    regions = split(region)
    if not regions and "admin" not in split(groups):
        _fail("只有管理员令牌可以不限区域：请用 --region 指定管辖区域（或 --admin）")
    try:
        for code in regions:
            normalize_region(code)
    except GongzhiError as exc:
        _fail(f"错误：{exc}")
    click.echo(mint(secret, sub, name, split(groups), regions[0] if regions else "", timedelta(seconds=ttl),
                    split(permissions), regions=regions if len(regions) > 1 else ()))


def run() -> None:  # pragma: no cover - console entry with friendly errors
    try:
        main()
    except GongzhiError as exc:
        _fail(f"错误：{exc}")


if __name__ == "__main__":  # pragma: no cover
    run()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on (0.0.0.0: all)")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1), help="worker processes")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(min=1), help="threads per worker")
@click.option("--graceful-timeout", default=20, show_default=True, type=click.IntRange(min=1),
              help="seconds a worker being replaced (stopped, or with a stuck command) may finish its requests")
@click.option("--dev", is_flag=True, help="development: allow the built-in secret, the console's role sign-in, "
              "and run the background worker in this process")
@click.option("--demo", is_flag=True, help="with --dev: load the demo stories into an empty database first")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, threads: int, graceful_timeout: int,
          dev: bool, demo: bool) -> None:
    """Serve the HTTP API and the console with gunicorn; migrates and deploys definitions first."""
    from .api.serve import banner, prepare, run_gunicorn, start_dev_worker

    config: Config = ctx.obj["config"]
    if demo and not dev:
        _fail("--demo 只能与 --dev 一起使用 (--demo needs --dev)")
    _check_secret(config, dev, "启动")
    prepare(config)
    if demo:
        from .demo import load_demos

        load_demos(config, say=click.echo)
    if dev:
        start_dev_worker(config)
    click.echo(banner(host, port, dev=dev))

    graceful = graceful_timeout

    def load():  # type: ignore[no-untyped-def]
        from .api import create_app
        from .api.context import EXTENSION
        from .api.serve import recycle_on_stuck

        app = create_app(config, setup=False, dev=dev)
        app.extensions[EXTENSION].engine.watchdog.on_stuck = recycle_on_stuck(graceful)
        return app

    run_gunicorn(load, {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers, "threads": threads,
        # gthread, but gunicorn's own errors (URI too long, bad headers) answer as problem+json, not HTML
        "worker_class": "gongzhi.api.gunicorn_worker.ProblemThreadWorker",
        "accesslog": "-", "errorlog": "-", "timeout": 60, "graceful_timeout": graceful,
        "proc_name": "gongzhi",
        # Several servers on one machine (tests, staging) must not share ~/.gunicorn/gunicorn.ctl.
        "control_socket_disable": True,
    })
