"""The web side for people outside Slack: the status page (`pages`), the
standalone server that serves it in Socket Mode (`standalone`), and the
Jinja2 templates the page and the emailed report share (`render`)."""
