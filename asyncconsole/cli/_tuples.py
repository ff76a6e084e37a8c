"""``asyncconsole tuples show``: the traffic replayer's tuple logs with their bodies decoded."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import IO

import click

from ._app import EXIT_FAILURE, state_of
from ._output import dumps

__all__ = ["tuples"]


@click.group()
def tuples() -> None:
    """Read the traffic replayer's tuple logs (one JSON object per replayed request)."""


@tuples.command()
@click.option(
    "--in",
    "inputfile",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    show_default="stdin",
    help="The tuple log to read.",
)
@click.option(
    "--out",
    "outputfile",
    type=click.Path(dir_okay=False, allow_dash=True, writable=True),
    default="-",
    show_default="stdout",
    help="Where to append the decoded tuples.",
)
@click.pass_context
def show(ctx: click.Context, inputfile: str, outputfile: str) -> None:
    """Decode the base64 bodies of every tuple: text, and JSON where the Content-Type says so
    (one document per line for _bulk). One tuple per line in and out, as console_link;
    streamed, so logs of any size work. A body that cannot be decoded stays as it was (a
    warning names it); a line that is not JSON is skipped and makes the exit code 1.

    JSON (--json): with --out FILE, {"output", "tuples", "undecoded_bodies",
    "skipped_lines"}; to stdout, the tuples as one JSON array.
    """
    from ..services.replay import TupleReadReport, convert_tuples

    state = state_of(ctx)
    report = TupleReadReport()
    to_stdout = outputfile == "-"
    try:
        source = click.open_file(inputfile, "r", encoding="utf-8")
    except OSError as exc:
        raise click.BadParameter(f"{inputfile}: {exc.strerror}", param_hint="'--in'") from None
    with source:
        converted = convert_tuples(source, report)
        if to_stdout:
            out = sys.stdout
            if state.json:
                _write_array(out, converted)
            else:
                for line in converted:
                    out.write(line)
                    out.flush()  # each tuple as soon as it is read (`tail -f | ...`)
        else:
            with open(outputfile, "a", encoding="utf-8") as out:
                out.writelines(converted)
            name = click.format_filename(outputfile)
            if state.json:
                click.echo(dumps({"output": name, **report.to_dict()}))
            else:
                click.echo(f"Converted tuples output to {name}")
    if report.skipped_lines:
        shown = ", ".join(str(n) for n in report.skipped_lines[:10])
        more = "..." if len(report.skipped_lines) > 10 else ""
        click.echo(f"Error: lines that are not tuples were skipped: {shown}{more}", err=True)
        ctx.exit(EXIT_FAILURE)


def _write_array(out: IO[str], lines: Iterable[str]) -> None:
    """The tuples as one JSON array, written as they come."""
    out.write("[")
    for index, line in enumerate(lines):
        out.write(("\n" if index == 0 else ",\n") + line.rstrip("\n"))
        out.flush()
    out.write("\n]\n")
