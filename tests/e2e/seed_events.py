"""Seed-schema events for tests and load."""

import json

SERVICES = ["webapp-frontend", "payment-service", "auth-service", "inventory", "search-api",
            "notification-worker", "checkout", "user-profile"]
LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]


def seed_event(number, service=None):
    return {
        "timestamp": "2025-10-30T12:34:56.789Z",
        "service": service or SERVICES[number % len(SERVICES)],
        "level": LEVELS[number % len(LEVELS)],
        "message": f"User logged in successfully evt-{number}",
        "trace_id": f"trace-{number:08d}",
        "request_id": f"req-{number:08d}",
        "host": "app-node-1",
        "payload": {"user_id": f"user-{number % 9973}", "ip_address": "8.8.8.8",
                    "user_agent": "Mozilla/5.0 (X11; Linux x86_64)"},
        "labels": {"env": "production", "region": "ap-south-1"},
    }


def ndjson(events):
    return "".join(json.dumps(event, separators=(",", ":")) + "\n" for event in events)
