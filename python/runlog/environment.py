"""``python -m runlog.environment``: this interpreter's environment as one JSON object on stdout.

The fields are the ``environment`` event's (docs/JOURNAL.md): ``python_version``,
``python_implementation``, ``executable``, ``platform``, ``system``, ``machine``, ``packages``
(normalized name → version) and, when ``nvidia-smi`` answers, ``gpu``. The editor runs it with the
interpreter a reproduction would use, to compare its packages with the run's.
"""

import json
import sys

from . import _environment


def main() -> int:
    json.dump(_environment.capture(), sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
