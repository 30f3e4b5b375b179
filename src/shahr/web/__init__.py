"""The web app: one FastAPI application, stateless over its database (`create_app`)."""
