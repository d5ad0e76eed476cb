"""The process around the app: uvicorn server with drain, bounded HTTP protocol, systemd notify, JSON logs."""
