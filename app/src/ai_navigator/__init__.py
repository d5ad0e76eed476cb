"""AI Navigation Assistant service."""



def __getattr__(name: str) -> str:
    # Looked up on first use: importlib.metadata pulls in the email package, which costs a
    # container HEALTHCHECK (`ai-navigator healthcheck`, every few seconds) most of its time.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import metadata

    try:
        version = metadata.version("ai_navigator")
    except metadata.PackageNotFoundError:  # running from a source tree without install
        version = "1.0.0"
    globals()["__version__"] = version
    return version

SERVICE_NAME = "AI Navigation Assistant"
