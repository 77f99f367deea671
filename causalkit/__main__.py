"""``python -m causalkit``: the same as the ``causalkit`` command."""

from causalkit.cli import main

if __name__ == "__main__":  # pragma: no cover - run as a module
    main(prog_name="causalkit")
