"""modelkit: build, benchmark and compare Ollama models.

The package is library-first: every command of the CLI is a thin wrapper around a
function in a plain module (see README "Library use"). Importing ``modelkit`` is cheap;
heavy dependencies are imported by the modules that need them.
"""

__version__ = "0.1.0"
