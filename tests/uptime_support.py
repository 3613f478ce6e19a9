"""What the uptime tests share: the small site of tests/conftest.py, without importing a conftest by name."""

from __future__ import annotations

#: Three components in two groups, times in Europe/Berlin (as tests/conftest.py's CONFIG).
CONFIG = """\
title = "Test Status"
base_url = "https://status.test.example/"
timezone = "Europe/Berlin"
description = "Status of the test services"

[[components]]
id = "api"
name = "Public API"
group = "Platform"

[[components]]
id = "dashboard"
name = "Dashboard"
group = "Platform"

[[components]]
id = "email"
name = "Email delivery"
group = "Communication"
"""
