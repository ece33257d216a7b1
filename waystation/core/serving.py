"""What `waystation serve` tells the apps when it starts: a signal, since core imports no
feature. A feature connects its housekeeping in its AppConfig.ready (the API: expired tus
uploads, ``api.uploads.uploads_expire_at_start``)."""

from django.dispatch import Signal

# Sent by `waystation serve` once it is unsealed (the database and the keys can be used),
# before it listens. A server that starts sealed sends nothing: the sweeps run on their next
# occasion (for uploads, the next upload begun).
server_started = Signal()
