"""Email: the weekly report as a multipart message (`message`), sent over
SMTP (`smtp`) by every process that delivers the outbox (`with_email`)."""

from bot.mail.smtp import EmailNotifier, with_email

__all__ = ["EmailNotifier", "with_email"]
