"""The course's command line: ``python -m tutorial_helpers data generate|info|verify|download``
and ``python -m tutorial_helpers workshop prepare DIR`` (a class's notebooks and data in one folder)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tutorial_helpers import bikes, workshop

_PROG = "python -m tutorial_helpers"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=_PROG, description="Set up the Dask course's data.")
    groups = parser.add_subparsers(dest="group", required=True, metavar="{data,workshop}")
    data = groups.add_parser(
        "data",
        help="the Bluebikes trip data",
        description=f"The Bluebikes trip data; it lives in $DASK_COURSE_DATA or {bikes.data_dir()}.",
    )
    commands = data.add_subparsers(dest="command", required=True, metavar="COMMAND")
    folder = argparse.ArgumentParser(add_help=False)
    folder.add_argument(
        "--data-dir", type=Path, metavar="DIR", help=f"the data folder (default: {bikes.data_dir()})"
    )

    generate = commands.add_parser(
        "generate", parents=[folder], help="write the synthetic trip files (no network needed)"
    )
    generate.add_argument("--scale", type=float, default=1.0, help="1.0 is about a million rows")
    generate.add_argument("--year", type=int, default=2019, help="the year to simulate (%(default)s)")
    generate.add_argument("--seed", type=int, default=2011, help="the random seed (%(default)s)")
    generate.set_defaults(run=_generate)

    info = commands.add_parser("info", parents=[folder], help="describe the data in the folder")
    info.set_defaults(run=_info)

    verify = commands.add_parser("verify", parents=[folder], help="check every file's sha256")
    verify.set_defaults(run=_verify)

    download = commands.add_parser(
        "download", parents=[folder], help="fetch real monthly files from Bluebikes (needs a network)"
    )
    download.add_argument("--months", nargs="+", required=True, metavar="YYYYMM", help="e.g. 201907 201908")
    download.add_argument("--base-url", help="where the zips are (default: the Bluebikes bucket)")
    download.set_defaults(run=_download)

    teaching = groups.add_parser(
        "workshop",
        help="set up a class: notebooks and data in one folder",
        description="Set up a class, the way a workshop's setup script does.",
    )
    teaching_commands = teaching.add_subparsers(dest="command", required=True, metavar="COMMAND")
    prepare = teaching_commands.add_parser(
        "prepare",
        help="put the lesson notebooks and the data into DIR (safe to run again)",
        description="Put the lesson notebooks and the course data into DIR: the data once in DIR/data, the "
        "notebooks in DIR/NAME for each --learner (DIR/notebooks without one). Running it again keeps "
        "what is there, including learners' edits.",
    )
    prepare.add_argument("folder", type=Path, metavar="DIR", help="the class folder, e.g. on shared scratch")
    prepare.add_argument("--learner", action="append", default=[], metavar="NAME",
                         help="a learner's folder of notebooks, DIR/NAME (repeat for each learner)")
    prepare.add_argument("--notebooks", metavar="ZIP_OR_URL",
                         help=f"the course site's {workshop.NOTEBOOKS_ZIP} (default: the copy in DIR, else the "
                         "site the course package was installed from)")
    prepare.add_argument("--kernel", action="store_true",
                         help="register this Python as a Jupyter kernel that finds the data (for you)")
    prepare.add_argument("--shared", action="store_true",
                         help="DIR is shared by a group: data read-only for it, learners' folders writable")
    prepare.add_argument("--scale", type=float,
                         help="the data's size for new data (1.0: about a million trips, 265 MB)")
    prepare.set_defaults(run=_prepare)
    return parser


def _prepare(args) -> None:
    done = workshop.prepare(args.folder, learners=args.learner, notebooks=args.notebooks, kernel=args.kernel,
                            shared=args.shared, scale=args.scale)
    print(done.report())


def _generate(args) -> None:
    bikes.generate(args.data_dir, scale=args.scale, year=args.year, seed=args.seed, progress=True)
    _info(args)


def _info(args) -> None:
    folder = args.data_dir or bikes.data_dir()
    bikes.trip_files(folder, generate_if_missing=False)  # a DataError naming the fix if a file is missing
    held = bikes.info(folder)
    if held["kind"] == "synthetic":
        made = "synthetic, scale {scale}, year {year}, seed {seed} (generator v{generator_version})"
        print(f"folder:  {folder}\ndata:    {made.format(**held)}")
    else:
        print(f"folder:  {folder}\ndata:    real Bluebikes trips, downloaded")
    print(f"files:   {held['trip_files']} monthly CSVs, {held['trips']:,} rows, {_megabytes(held['trip_bytes'])}")
    for entry in held["trip_entries"]:
        print(f"  {entry['name']}  {entry['rows']:>10,} rows  {_megabytes(entry['bytes']):>9}")
    if held["json_files"]:
        print(f"json:    {held['json_files']} JSON-lines files, one trip in three, {held['json_lines']:,} lines, "
              f"{_megabytes(held['json_bytes'])}")
        for entry in held["json_entries"]:
            print(f"  {entry['name']}  {entry['rows']:>9,} lines  {_megabytes(entry['bytes']):>9}")


def _verify(args) -> None:
    folder = args.data_dir or bikes.data_dir()
    bikes.verify(folder)
    held = bikes.info(folder)
    print(f"{held['trip_files'] + held['json_files']} files in {folder} match their sha256 in manifest.json")


def _download(args) -> None:
    options = {} if args.base_url is None else {"base_url": args.base_url}
    paths = bikes.download(args.months, args.data_dir, progress=True, **options)
    folder = paths[0].parent
    print(f"{len(paths)} files verified in {folder}; see them with `{_PROG} data info --data-dir {folder}`")


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def main(argv=None) -> int:
    """Run the command line; return the exit status (1 for a mistake the message explains)."""
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except (bikes.DataError, workshop.WorkshopError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
