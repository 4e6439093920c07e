"""The registry from the command line, for the editor and for shells: the same lock and rules as
the Python API, one JSON object on stdout per command.

    python -m runlog.registry register runs:/<run-id>/model house-prices [--description D] [--tag k=v]
    python -m runlog.registry register models:/<model-id> house-prices      (one of MLflow 3's logged models)
    python -m runlog.registry set-alias house-prices champion 3 [--current 2|none]
    python -m runlog.registry delete-alias house-prices champion
    python -m runlog.registry delete-version house-prices 2
    python -m runlog.registry resolve models:/house-prices@champion

``--store DIR`` names the store (default: ``RUNLOG_DIR``, else the nearest ``.runlog/``). A refused
change exits with code 1 and one line on stderr, ``runlog.registry: <why>``, and writes nothing.
``set-alias --current N`` (or ``none``) is a compare-and-set: it moves the alias only if it points at
version N (at no version) when the registry lock is held; if someone moved it first it exits with
code 3 (``AliasMovedError``), so two CI jobs promoting at once cannot both win.
"""

import argparse
import json
import sys
from typing import Any, Dict, List, Optional

from . import _registry
from ._errors import StoreError

# The exit code of a set-alias --current that found the alias moved by someone else.
ALIAS_MOVED = 3


def _version(value: _registry.ModelVersion) -> Dict[str, Any]:
    return {"name": value.name, "version": value.version, "run_id": value.run_id, "source": value.source,
            "model_id": value.model_id, "stage": value.stage, "description": value.description, "tags": value.tags,
            "aliases": value.aliases, "uri": value.uri}


def _tags(pairs: List[str]) -> Dict[str, str]:
    tags = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise ValueError("a tag is key=value, not %r" % pair)
        tags[key] = value
    return tags


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m runlog.registry", description="Runlog's model registry")
    parser.add_argument("--store", help="the store folder (default: RUNLOG_DIR, else the nearest .runlog/)")
    commands = parser.add_subparsers(dest="command", required=True)
    register = commands.add_parser("register", help="register a run's model as the next version of a name")
    register.add_argument("model_uri")
    register.add_argument("name")
    register.add_argument("--description")
    register.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE")
    alias = commands.add_parser("set-alias", help="point an alias at a version (moving it)")
    alias.add_argument("name")
    alias.add_argument("alias")
    alias.add_argument("version")
    alias.add_argument("--current", metavar="VERSION|none",
                       help="only if the alias points at this version now ('none': at no version)")
    remove = commands.add_parser("delete-alias", help="remove an alias")
    remove.add_argument("name")
    remove.add_argument("alias")
    delete = commands.add_parser("delete-version", help="delete a version and its aliases")
    delete.add_argument("name")
    delete.add_argument("version")
    resolve = commands.add_parser("resolve", help="the local folder of a models:/ or runs:/ URI")
    resolve.add_argument("uri")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "register":
            result = _version(_registry.register_model(args.model_uri, args.name, args.description,
                                                       _tags(args.tag), store=args.store))
        elif args.command == "set-alias":
            if args.current is None:
                _registry.set_alias(args.name, args.alias, args.version, store=args.store)
            else:
                current = None if args.current.lower() == "none" else args.current
                _registry.set_alias(args.name, args.alias, args.version, store=args.store, current=current)
            result = _version(_registry.get_model_version_by_alias(args.name, args.alias, store=args.store))
        elif args.command == "delete-alias":
            _registry.delete_alias(args.name, args.alias, store=args.store)
            result = {"name": args.name, "alias": args.alias}
        elif args.command == "delete-version":
            _registry.delete_model_version(args.name, args.version, store=args.store)
            result = {"name": args.name, "version": int(args.version)}
        else:
            result = {"path": str(_registry.resolve_model_uri(args.uri, store=args.store))}
    except _registry.AliasMovedError as exc:
        print("runlog.registry: %s" % exc, file=sys.stderr)
        return ALIAS_MOVED
    except (ValueError, LookupError, TypeError, OSError, StoreError) as exc:
        print("runlog.registry: %s" % exc, file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
