"""The embedded runtime behind `make run`: broker, topics, and a supervisor of the services."""
