"""The web application: app factory, middleware, shared dependencies, demo pages."""
