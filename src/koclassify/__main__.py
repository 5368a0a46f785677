"""``python -m koclassify`` (also ``torchrun -m koclassify train ...`` / ``accelerate launch -m koclassify ...``)."""

from koclassify.cli import main

main()
