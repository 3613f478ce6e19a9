"""``inloop receive``: alert webhooks in, incident files out.

- :mod:`.settings`: the ``[alerts]`` table and its rules;
- :mod:`.payloads`: Alertmanager, Grafana and generic JSON, as plain data;
- :mod:`.state`: which incident each alert group opened (a small JSON file);
- :mod:`.receiver`: rules, groups, and the files written through the authoring code;
- :mod:`.server`: HTTP, authentication and limits, and the build after each change.
"""
