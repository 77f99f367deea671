"""The ``causalkit`` command.

Every command turns a :class:`~causalkit.errors.CausalkitError` into
``error: <message>`` on standard error and exit code 2 (no traceback unless
``--debug``); a usage error (an unknown option, a negative ``--seed``) is
``error: ...`` and exit code 2 too. Exit code 1 is left for crashes: any other
exception reaches the top-level guard, which prints ``internal error: <type>:
<message> (this is a bug; rerun with --debug for the traceback)`` and exits 1
(``--debug`` shows the traceback instead). Everything printed that carries user
text goes through :func:`~causalkit.report.render.terminal.visible` (control
characters shown, newlines folded, CI workflow commands neutralized), warnings
included. Every file a command writes is checked first
(:func:`~causalkit.report.write.check_destination`: a regular file or a new
path) and written atomically. Heavy modules are imported inside the commands
that need them, so ``causalkit --help`` starts fast.

Example:
    >>> from click.testing import CliRunner
    >>> CliRunner().invoke(main, ["--version"]).output.startswith("causalkit ")
    True
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from causalkit import __version__
from causalkit.errors import CausalkitError
from causalkit.report.render.terminal import visible
from causalkit.spec.limits import MAX_SEED

FORMATS = ("text", "md", "html", "json", "junit")
F = TypeVar("F", bound=Callable[..., Any])


INTERNAL_HINT = "this is a bug; rerun with --debug for the traceback"


def _say(text: str, *, err: bool = False) -> None:
    """Print one line of text that may carry user strings (made :func:`visible`)."""
    click.echo(visible(text), err=err)


def _fail(message: str) -> None:
    _say(f"error: {message}", err=True)
    sys.exit(2)


def _debug(ctx: click.Context | None) -> bool:
    return bool(ctx is not None and ctx.find_root().params.get("debug"))


def _quiet_broken_pipe() -> None:
    """After a closed standard output (``causalkit run ... | head``): no noise at exit."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


@contextlib.contextmanager
def expected_errors(ctx: click.Context | None) -> Iterator[None]:
    """A ``CausalkitError`` ends in ``error: ...`` and exit 2 (re-raised under ``--debug``);
    a closed standard output or Ctrl-C ends quietly with exit 130.

    Example:
        >>> with expected_errors(None):
        ...     raise CausalkitError("bad input")
        Traceback (most recent call last):
        ...
        SystemExit: 2
    """
    try:
        yield
    except CausalkitError as exc:
        if _debug(ctx):
            raise
        _fail(str(exc))
    except BrokenPipeError:
        _quiet_broken_pipe()
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)


class GuardedGroup(click.Group):
    """The ``causalkit`` group: every error ends in ``error:``/exit 2 or ``internal error:``/exit 1.

    Example:
        >>> from click.testing import CliRunner
        >>> @click.group(cls=GuardedGroup)
        ... @click.option("--debug", is_flag=True)
        ... def cli(debug: bool) -> None: ...
        >>> @cli.command()
        ... def boom() -> None:
        ...     raise ZeroDivisionError("division by zero")
        >>> res = CliRunner().invoke(cli, ["boom"])
        >>> res.exit_code, res.output.split(" (")[0]
        (1, 'internal error: ZeroDivisionError: division by zero')
        >>> res = CliRunner().invoke(cli, ["nope"])
        >>> res.exit_code, res.output.splitlines()[0]
        (2, "error: No such command 'nope'. (see 'cli --help')")
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with expected_errors(ctx):
                return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit,
                click.exceptions.Abort):
            raise
        except Exception as exc:
            if _debug(ctx):
                raise
            _say(f"internal error: {type(exc).__name__}: {exc} ({INTERNAL_HINT})", err=True)
            sys.exit(1)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            where = ctx.command_path if ctx is not None else "causalkit"
            _say(f"error: {exc.format_message()} (see '{where} --help')", err=True)
            sys.exit(2)
        except click.exceptions.Abort:
            _say("error: interrupted", err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) and not isinstance(rv, bool) else 0)


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    """Warnings (ours or a library's) as one visible line: they may quote user text."""
    with contextlib.suppress(OSError, ValueError):
        _say(f"warning: {category.__name__}: {message}", err=True)


def _check_out(path: Path | None) -> None:
    if path is not None:
        from causalkit.report.write import check_destination

        check_destination(path)


def handle_errors(fn: F) -> F:
    """Turn causalkit errors into ``error: ...`` and exit code 2 (a decorator for commands).

    Example:
        >>> from click.testing import CliRunner
        >>> @click.command()
        ... @handle_errors
        ... def boom() -> None:
        ...     raise CausalkitError("bad input", hint="fix it")
        >>> res = CliRunner().invoke(boom, [])
        >>> res.exit_code, res.output
        (2, 'error: bad input (fix it)\\n')
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with expected_errors(click.get_current_context()):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _load(spec: Path) -> Any:
    from causalkit.spec import load_spec_file

    return load_spec_file(spec)


def emit_report(report: Any, fmt: str, out: Path | None, *, wide: bool = False) -> None:
    """Print a report to stdout (``text`` in colour on a terminal) or write it atomically.

    Example:
        >>> import json, pathlib, tempfile
        >>> from causalkit.report import Experiment, Report
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "r.json"
        >>> emit_report(Report(experiment=Experiment(name="x", kind="ab")), "json", out)
        >>> json.loads(out.read_text())["experiment"]["name"]
        'x'
    """
    from causalkit.report.render import render
    from causalkit.report.write import write_atomic

    if out is None:
        if fmt == "text":
            click.echo(render(report, "text", color=sys.stdout.isatty(), wide=wide), nl=False)
        else:
            click.echo(render(report, fmt), nl=False)
        return
    write_atomic(out, render(report, fmt, wide=wide))
    _say(f"wrote {out}", err=True)


def _out_for(out: Path | None, spec: Path, fmt: str, many: bool) -> Path | None:
    if out is None or not many:
        return out
    suffix = {"text": "txt", "md": "md", "html": "html", "json": "json", "junit": "xml"}[fmt]
    return out / f"{spec.stem}.{suffix}"


def _check_run_outputs(out: Path | None, specs: Sequence[Path], fmt: str) -> None:
    """Every file ``run`` will write is a regular file or a new path, and no two are one."""
    if out is None:
        return
    many = len(specs) > 1
    if many:
        if out.exists() and not out.is_dir():
            raise CausalkitError(f"--out {out} must be a folder when several specs are given")
        stems = [p.stem for p in specs]
        twice = sorted({s for s in stems if stems.count(s) > 1})
        if twice:
            raise CausalkitError(f"specs named {', '.join(twice)} would write the same file "
                                 f"in {out}", hint="give the specs distinct file names")
    for spec in specs:
        _check_out(_out_for(out, spec, fmt, many))


@click.group(cls=GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="causalkit",
                      message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def main(debug: bool) -> None:
    """causalkit: decide whether a product change works.

    One spec format (YAML) for A/B tests, switch-back tests, DAG-based
    estimation on observational data and Aha-moment discovery; one report.
    """
    warnings.showwarning = _show_warning
    for stream in (sys.stdout, sys.stderr):  # a name the terminal cannot encode is escaped
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(path_type=Path))
@handle_errors
def validate(specs: tuple[Path, ...]) -> None:
    """Check spec files; print one line per file."""
    from causalkit import registry
    from causalkit.spec import load_spec_file

    errors: list[str] = []
    for spec in specs:
        try:
            loaded = load_spec_file(spec)
            registry.validate(loaded)  # what a kind checks beyond the models (a graph's cycles)
        except CausalkitError as exc:
            errors.append(str(exc))
            _say(f"error: {exc}", err=True)
            continue
        _say(f"ok: {spec} ({loaded.spec.kind}: {loaded.spec.name})")
    if errors:
        sys.exit(2)


@main.command()
@click.option("--out", type=click.Path(path_type=Path), help="Write the schema to a file.")
@handle_errors
def schema(out: Path | None) -> None:
    """Print the JSON Schema of the spec format (for editors and CI)."""
    import json

    from causalkit.report.write import write_atomic
    from causalkit.spec import json_schema

    _check_out(out)
    text = json.dumps(json_schema(), indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        write_atomic(out, text)


@main.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--data", type=click.Path(path_type=Path),
              help="A CSV or Parquet file that replaces the spec's data source.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--out", type=click.Path(path_type=Path),
              help="Output file (a folder when several specs are given).")
@click.option("--seed", type=click.IntRange(0, MAX_SEED),
              help="Seed for randomization tests and resampling (0 or more).")
@click.option("--now", help="Analysis time for the decision, ISO 8601 with a zone "
                            "(default: now, never before the data's last exposure).")
@click.option("--wide", is_flag=True, help="Text format: show every column, however wide.")
@click.option("--propose-experiment", "propose", type=click.Path(path_type=Path),
              help="Aha specs: write the encouragement experiment's ab spec for the winner here.")
@handle_errors
def run(specs: tuple[Path, ...], data: Path | None, fmt: str, out: Path | None,
        seed: int | None, now: str | None, wide: bool, propose: Path | None) -> None:
    """Analyse one or more specs and render their reports (with the decision, for gated kinds)."""
    from causalkit.api import analyze

    if data is not None and len(specs) > 1:
        raise CausalkitError("--data goes with a single spec")
    from causalkit import progress

    _check_run_outputs(out, specs, fmt)
    if propose is not None:
        if len(specs) > 1:
            raise CausalkitError("--propose-experiment goes with a single spec")
        _check_out(propose)
    t_now = parse_now(now)
    with progress.configure("auto"):
        for spec in specs:
            loaded = _load(spec)
            if propose is not None and loaded.spec.kind != "aha":
                raise CausalkitError("--propose-experiment goes with an aha spec",
                                     hint=f"{spec} is a {loaded.spec.kind} spec")
            report = analyze(loaded, data, seed=seed, now=t_now, progress=True)
            emit_report(report, fmt, _out_for(out, spec, fmt, len(specs) > 1), wide=wide)
            if propose is not None:
                _write_proposal(report, propose)


def _write_proposal(report: Any, out: Path) -> None:
    """Write the Aha report's proposed encouragement-experiment spec (atomically)."""
    from causalkit.aha.propose import PROPOSAL_KEY
    from causalkit.report.write import write_atomic

    text = report.meta.extra.get(PROPOSAL_KEY)
    if not isinstance(text, str):
        raise CausalkitError("no experiment could be proposed",
                             hint="see the aha_proposal check in the report")
    write_atomic(out, text)
    _say(f"wrote {out}", err=True)


@main.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--data", type=click.Path(path_type=Path), help="Pre-period data (CSV or Parquet).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--out", type=click.Path(path_type=Path))
@click.option("--wide", is_flag=True, help="Text format: show every column, however wide.")
@handle_errors
def power(spec: Path, data: Path | None, fmt: str, out: Path | None, wide: bool) -> None:
    """Sample size, MDE and duration (ab), or period length and power (switchback)."""
    from causalkit import progress
    from causalkit.entry import run_planner

    _check_out(out)
    with progress.configure("auto"):
        report = run_planner(_load(spec), pre_data=data)
        emit_report(report, fmt, out, wide=wide)


@main.command()
@click.argument("kind", type=click.Choice(["ab", "switchback", "observational", "aha"]))
@click.option("--data", required=True, type=click.Path(path_type=Path),
              help="The CSV or Parquet file (for aha: the event log).")
@click.option("--users", type=click.Path(path_type=Path),
              help="aha: the users file (user id, signup time, covariates).")
@click.option("--out", type=click.Path(path_type=Path),
              help="Write the spec here (default: print it).")
@click.option("--force", is_flag=True, help="Overwrite an existing --out file.")
@handle_errors
def init(kind: str, data: Path, users: Path | None, out: Path | None, force: bool) -> None:
    """Write a starter spec from a data file: its columns guessed, the guesses in comments.

    KIND is ab, switchback, observational or aha. The spec validates as written; the
    lines marked EDIT are guesses to check before `causalkit run SPEC`.
    """
    from causalkit.starter import starter_spec

    if out is not None:
        if out.exists() and not force:
            raise CausalkitError(f"{out} exists", hint="pass --force to overwrite it, or "
                                                       "choose another --out")
        _check_out(out)
    base = out.absolute().parent if out is not None else Path.cwd()
    text = starter_spec(kind, data, users=users, base=base)
    if out is None:
        click.echo(text, nl=False)  # every user string in it is escaped (starter.yaml_text)
        return
    from causalkit.report.write import write_atomic

    write_atomic(out, text)
    _say(f"wrote {out} ({kind} starter spec: check the lines marked EDIT, then "
         f"causalkit validate {out})", err=True)


@main.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--units", required=True, type=click.Path(path_type=Path),
              help="CSV or Parquet file of unit ids.")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Output CSV or Parquet with the unit id and its variant.")
@click.option("--column", help="Column of unit ids (default: the spec's unit).")
@handle_errors
def assign(spec: Path, units: Path, out: Path, column: str | None) -> None:
    """Assign units to the variants of an A/B spec (deterministic hashing)."""
    from causalkit.report.write import atomic_target

    _check_out(out)
    loaded = _load(spec)
    if loaded.spec.kind != "ab":
        raise CausalkitError(f"assign needs an ab spec, not {loaded.spec.kind}",
                             hint="switch-backs are planned with `causalkit schedule`")
    from causalkit.ab.assignment import assign_file

    with atomic_target(out) as tmp:  # the output's mode follows the umask
        assign_file(loaded.spec, units, tmp, column=column)
    _say(f"wrote {out}", err=True)


@main.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Schedule file: .csv, .parquet or .json.")
@click.option("--heatmap", type=click.Path(path_type=Path), help="Also write an SVG heatmap.")
@handle_errors
def schedule(spec: Path, out: Path, heatmap: Path | None) -> None:
    """Design the schedule of a switch-back spec and export it."""
    _check_out(out)
    _check_out(heatmap)
    if heatmap is not None and heatmap.absolute() == out.absolute():
        raise CausalkitError("--out and --heatmap name the same file")
    loaded = _load(spec)
    if loaded.spec.kind != "switchback":
        raise CausalkitError(f"schedule needs a switchback spec, not {loaded.spec.kind}")
    from causalkit.switchback.cli import schedule_command

    schedule_command(loaded.spec, out, heatmap)
    _say(f"wrote {out}", err=True)


@main.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--data", type=click.Path(path_type=Path), help="Replaces the spec's data source.")
@click.option("--state", type=click.Path(path_type=Path),
              help="State file recording each look (group-sequential plans).")
@click.option("--now", help="Analysis time, ISO 8601 with a zone (default: now).")
@click.option("--fail-on", default=None,
              help="Comma-separated decisions that exit non-zero "
                   "(default: each decision has its own exit code).")
@click.option("--json", "json_out", type=click.Path(path_type=Path), help="Write the JSON report.")
@click.option("--junit", type=click.Path(path_type=Path), help="Write JUnit XML.")
@click.option("--markdown", type=click.Path(path_type=Path), help="Write the Markdown summary.")
def gate(spec: Path, data: Path | None, state: Path | None, now: str | None,
         fail_on: str | None, json_out: Path | None, junit: Path | None,
         markdown: Path | None) -> None:
    """Decide ship / hold / inconclusive / rollback / invalid; the exit code says which.

    Exit codes: 0 ship, 10 hold, 11 inconclusive, 20 rollback, 30 invalid, 2 error.
    """
    ctx = click.get_current_context()
    debug = bool(ctx.find_root().params.get("debug"))
    from causalkit.gate.command import gate_command

    code = gate_command(
        spec=spec, data=data, state=state, now=now, fail_on=fail_on,
        json_out=json_out, junit=junit, markdown=markdown, debug=debug,
    )
    sys.exit(int(code))


def parse_now(text: str | None) -> datetime | None:
    """Parse ``--now`` (ISO 8601 with a zone).

    Example:
        >>> parse_now("2026-12-01T09:00+09:00").isoformat()
        '2026-12-01T00:00:00+00:00'
        >>> parse_now("yesterday")
        Traceback (most recent call last):
        ...
        causalkit.errors.CausalkitError: --now: 'yesterday' is not an ISO 8601 timestamp; ...
    """
    if text is None:
        return None
    from causalkit.spec.types import parse_timestamp

    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise CausalkitError(f"--now: {exc}") from None


if __name__ == "__main__":  # pragma: no cover
    main()
