"""``python -m azsphere_async.cli``: the ``azsphere-async`` command."""

from __future__ import annotations

from . import main

if __name__ == "__main__":
    main()
